// Package httpapi is the reference REST adapter.
package httpapi
