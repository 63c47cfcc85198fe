"""Digital signatures on records: signer backends, XML-DSig, PAdES, remote signing (CSC).

Every backend yields a `Signer` (core.signing.keys): a certificate with its chain and a key
object that signs like a `cryptography` RSA key. XML-DSig (signxml) and PAdES (pyhanko) both
sign through that one object, so a PKCS#12 file, a PKCS#11 token and a remote service differ
only in where the private-key operation happens.
"""
