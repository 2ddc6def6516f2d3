// SPDX-License-Identifier: MIT
// sigstore-js, independent of libimage, for cosign v3's format:
//
//   node sigstore.js attach HOST/REPO DIGEST KEY.pem   a keyed bundle signing DIGEST (cosign sign --key's
//                                                      in-toto statement, @sigstore/sign's DSSE bundle
//                                                      builder, no Fulcio, no Rekor) attached to the image
//                                                      by @sigstore/oci; prints the bundle's digest
//   node sigstore.js verify BUNDLE.json PUB.pem DIGEST @sigstore/verify with the public key, then the
//                                                      statement's subject and predicate checked; exit 1
//                                                      with the reason when it does not verify
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { bundleFromJSON, bundleToJSON } = require('@sigstore/bundle');
const { DSSEBundleBuilder } = require('@sigstore/sign');
const { Verifier, toSignedEntity } = require('@sigstore/verify');
const { attachArtifactToImage } = require('@sigstore/oci');

const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

// The key's hint as cosign writes it: the SHA-256 of its DER SubjectPublicKeyInfo, base64.
function hintOf(publicKey) {
  return crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

async function attach(image, digest, keyPath) {
  const privateKey = crypto.createPrivateKey(fs.readFileSync(keyPath));
  const publicKey = crypto.createPublicKey(privateKey);
  // a key-based signer: @sigstore/sign's Signer interface without Fulcio
  const signer = {
    sign: async (data) => ({
      signature: crypto.sign('sha256', data, privateKey), // ECDSA: ASN.1 DER
      key: { $case: 'publicKey', publicKey: publicKey.export({ type: 'spki', format: 'pem' }), hint: hintOf(publicKey) },
    }),
  };
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: image, digest: { sha256: digest.replace(/^sha256:/, '') } }],
    predicateType: PREDICATE,
    predicate: {},
  };
  const builder = new DSSEBundleBuilder({ signer, witnesses: [] });
  const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' });
  const artifact = Buffer.from(JSON.stringify(bundleToJSON(bundle)));
  const descriptor = await attachArtifactToImage({
    imageName: image, imageDigest: digest, artifact, mediaType: BUNDLE_TYPE,
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': PREDICATE },
    credentials: undefined, // an open registry: no sign-in
  });
  process.stdout.write(descriptor.digest + '\n');
}

function verify(bundlePath, pubPath, digest) {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(pubPath));
  // keys only: no certificate authority, no transparency log, no timestamp authority
  const trust = {
    certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [],
    publicKey: (hint) => {
      if (hint && hint !== hintOf(publicKey)) throw new Error('no key for hint ' + hint);
      return { publicKey, validFor: () => true };
    },
  };
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== 'application/vnd.in-toto+json') throw new Error('not an in-toto statement');
  const statement = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
  if (statement.predicateType !== PREDICATE) throw new Error('predicate ' + statement.predicateType);
  const hex = digest.replace(/^sha256:/, '');
  if (!statement.subject.some((s) => s.digest && s.digest.sha256 === hex)) throw new Error('the statement does not name ' + digest);
  process.stdout.write('verified\n');
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'attach' && args.length === 3) return attach(...args);
  if (cmd === 'verify' && args.length === 3) return verify(...args);
  throw new Error('usage: sigstore.js attach HOST/REPO DIGEST KEY.pem | verify BUNDLE.json PUB.pem DIGEST');
}

main().catch((e) => {
  process.stderr.write(String(e && (e.cause ? e.message + ': ' + e.cause.message : e.message || e)) + '\n');
  process.exit(1);
});
