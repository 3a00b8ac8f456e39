import javax.crypto.*; import javax.crypto.spec.*; import java.security.*; import java.util.*;
// JavaSampleVectors prints the AES keys that Huawei's Java sample derives from
// an access key (KeyGenerator("AES") seeded through SHA1PRNG) and an
// encryption of "P@ssw0rd!" with IV "abcdefghijklmnop" under each. The
// vectors in crypto_test.go were produced by:
//
//	javac JavaSampleVectors.java && java JavaSampleVectors ak-test-0001 "" 中文key XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
//
// on OpenJDK 17.0.15 (sun.security.provider.SecureRandom).
public class JavaSampleVectors {
  static String hex(byte[] b){StringBuilder s=new StringBuilder();for(byte x:b)s.append(String.format("%02x",x));return s.toString();}
  static byte[] key(String seed,int bits) throws Exception { KeyGenerator k=KeyGenerator.getInstance("AES"); SecureRandom r=SecureRandom.getInstance("SHA1PRNG"); r.setSeed(seed.getBytes("UTF-8")); k.init(bits,r); return k.generateKey().getEncoded(); }
  public static void main(String[] a) throws Exception {
    for (String seed: a) {
      byte[] k128=key(seed,128), k256=key(seed,256);
      System.out.println(seed+" 128 "+hex(k128)+" 256 "+hex(k256));
      String iv="abcdefghijklmnop";
      for (int bits: new int[]{256,128}) {
        Cipher c=Cipher.getInstance("AES/CBC/PKCS5Padding");
        c.init(Cipher.ENCRYPT_MODE,new SecretKeySpec(bits==256?k256:k128,"AES"),new IvParameterSpec(iv.getBytes("UTF-8")));
        System.out.println("  enc"+bits+" "+iv+Base64.getEncoder().encodeToString(c.doFinal("P@ssw0rd!".getBytes("UTF-8"))));
      }
    }
  }
}
