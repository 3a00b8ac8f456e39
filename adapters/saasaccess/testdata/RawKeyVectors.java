import javax.crypto.*; import javax.crypto.spec.*; import java.util.*;
// RawKeyVectors prints the encryption of "P@ssw0rd!" with IV "abcdefghijklmnop"
// under AES/CBC/PKCS5Padding keyed with the access key's own UTF-8 bytes (the
// RawKey derivation: 32 bytes give AES-256, encryptType 1; 16 bytes AES-128,
// encryptType 2). The raw-key vectors in crypto_test.go were produced by:
//
//	javac RawKeyVectors.java && java RawKeyVectors 0123456789abcdef0123456789abcdef 0123456789abcdef
//
// on OpenJDK 17.0.15.
public class RawKeyVectors {
  public static void main(String[] a) throws Exception {
    String iv = "abcdefghijklmnop";
    for (String key : a) {
      Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.getBytes("UTF-8"), "AES"), new IvParameterSpec(iv.getBytes("UTF-8")));
      System.out.println(key + " AES-" + key.getBytes("UTF-8").length * 8 + " " + iv + Base64.getEncoder().encodeToString(c.doFinal("P@ssw0rd!".getBytes("UTF-8"))));
    }
  }
}
