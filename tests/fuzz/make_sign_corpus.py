#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seeds of fuzz_policy and fuzz_signature (tests/fuzz/corpus/{policy,signature}):
payloads, bundles and .sig layers signed by tests/data/sign/ec-private.pem, the key
fuzz_signature's policy trusts, so that mutations start past the key; podman users'
policies, containers/image's own, and its registries.d files.
    /usr/bin/python3 tests/fuzz/make_sign_corpus.py [BUILD_DIR]"""
import base64
import glob
import json
import os
import sys

src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(src, 'bindings/python'))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(src, 'build')
os.environ.setdefault('LIBIMAGE_LIBRARY', os.path.join(build, 'libimage.so'))
from libimage import trust  # noqa: E402

root = os.path.join(src, 'tests/fuzz/corpus')
NAME = "registry.example.com/fuzz/app"
DIGEST = "sha256:4a1fa0e7a3a2e38d22b3e8b7e2b6a8b9c36f25fbcd2c39ad5c3b8ad1a9f7e6d1"
signer = trust.Signer.load(os.path.join(src, 'tests/data/sign/ec-private.pem'))
sd = os.path.join(root, 'signature')
os.makedirs(sd, exist_ok=True)


def put(d, name, data):
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


p = trust.Signer.payload(DIGEST, NAME + ":latest")
put(sd, 'payload', b'\0' + p)
doc = json.loads(p); doc['optional'] = {'creator': 'fuzz', 'timestamp': 1700000000}
put(sd, 'payload-optional', b'\0' + json.dumps(doc).encode())
put(sd, 'payload-dup', b'\0' + p.replace(b'"critical":{', b'"critical":{"type":"x",', 1))
b = signer.bundle(DIGEST, NAME)
put(sd, 'bundle', b'\1' + b)
env = json.loads(b)['dsseEnvelope']
put(sd, 'statement', b'\2' + base64.b64decode(env['payload']))
put(sd, 'simple', b'\3' + signer.sign(p).encode() + b'\n' + p)
other = trust.Signer.payload(DIGEST, "registry.example.com/fuzz/other:1")
put(sd, 'simple-other', b'\3' + signer.sign(other).encode() + b'\n' + other)
pd = os.path.join(root, 'policy')
os.makedirs(pd, exist_ok=True)
fx = '/usr/share/gocode/src/github.com/containers/image/signature/fixtures/policy.json'
put(pd, 'cimage-fixture', b'\0' + open(fx, 'rb').read())
put(pd, 'etc-default', b'\0' + open('/etc/containers/policy.json', 'rb').read())
put(pd, 'podman-user', b'\0' + json.dumps({
  "default": [{"type": "reject"}],
  "transports": {"docker": {
    "quay.io/myorg": [{"type": "sigstoreSigned", "keyPath": "/etc/containers/keys/myorg.pub",
                        "signedIdentity": {"type": "remapIdentity", "prefix": "quay.io/myorg", "signedPrefix": "registry.internal/myorg"}}],
    "docker.io": [{"type": "insecureAcceptAnything"}],
    "registry.example.com/team/app": [{"type": "sigstoreSigned", "keyPaths": ["/a.pub", "/b.pub"],
                        "signedIdentity": {"type": "exactReference", "dockerReference": "registry.example.com/team/app:1"}}],
    "*.example.com": [{"type": "sigstoreSigned", "keyData": base64.b64encode(open(os.path.join(src, 'tests/data/sign/ec-public.pem'),'rb').read()).decode(),
                        "signedIdentity": {"type": "matchRepository"}}],
    "localhost:5000": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k.gpg"}],
    "": [{"type": "insecureAcceptAnything"}]},
   "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}}}).encode())
for y in glob.glob('/usr/share/gocode/src/github.com/containers/image/docker/fixtures/registries.d/*.yaml'):
    put(pd, 'registries-d-' + os.path.basename(y)[:-5], b'\1' + open(y, 'rb').read())
put(pd, 'registries-d-attachments', b'\1' + b"docker:\n  registry.example.com:\n    use-sigstore-attachments: true\ndefault-docker:\n  use-sigstore-attachments: false\n")
