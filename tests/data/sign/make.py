#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Makes the keys and signatures of tests/data/sign with Debian's
python3-cryptography and python3-nacl, independently of libimage. Run once;
the outputs are committed (test keys only, never used elsewhere):

    /usr/bin/python3 tests/data/sign/make.py tests/data/sign
"""
import base64
import hashlib
import json
import os
import sys

import nacl.secret
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

out = sys.argv[1]


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def cosign_encrypted(key, passphrase, n=32768):
    """cosign's "ENCRYPTED SIGSTORE PRIVATE KEY": scrypt, then NaCl secretbox around PKCS#8 DER."""
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt = os.urandom(32)
    box_key = hashlib.scrypt(passphrase, salt=salt, n=n, r=8, p=1, maxmem=256 << 20, dklen=32)
    nonce = os.urandom(24)
    ct = nacl.secret.SecretBox(box_key).encrypt(der, nonce).ciphertext
    doc = {"kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
           "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
           "ciphertext": base64.b64encode(ct).decode()}
    body = base64.b64encode(json.dumps(doc).encode()).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + "\n".join(lines) +
            "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n").encode()


ec_key = ec.generate_private_key(ec.SECP256R1())
write("ec-private.pem", ec_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
write("ec-sec1.pem", ec_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
write("ec-public.pem", public_pem(ec_key))
write("ec-public.der", ec_key.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))

cosign_key = ec.generate_private_key(ec.SECP256R1())
write("cosign.key", cosign_encrypted(cosign_key, b"test-passphrase"))
write("cosign.pub", public_pem(cosign_key))

other = ec.generate_private_key(ec.SECP256R1())
write("other-public.pem", public_pem(other))

# RSA PKCS#1 v1.5 over SHA-256, as sigstore verifies RSA keys
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
write("rsa-public.pem", public_pem(rsa_key))
payload = (b'{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":'
           b'"sha256:' + b"ab" * 32 + b'"},"type":"cosign container image signature"},"optional":null}')
write("rsa-payload.json", payload)
write("rsa-payload.sig", base64.b64encode(rsa_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())) + b"\n")
short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
write("rsa1024-public.pem", public_pem(short))

write("ed25519-public.pem", public_pem(ed25519.Ed25519PrivateKey.generate()))
write("p384-public.pem", public_pem(ec.generate_private_key(ec.SECP384R1())))
