// The revocation data a CMS carries itself: RevocationInfoChoices in SignedData (RFC 5652 §10.2.1,
// RFC 5940 id-ri-ocsp-response) and Acrobat's adbe-revocationInfoArchival signed attribute.
import { readFile } from 'node:fs/promises';
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { readCmsRevocationData } from '../../../src/verify/cms-revocation.js';
import { samplePki } from '../../fixtures/make-pki.js';

const pki = samplePki();

function raw(der: Buffer): asn1js.AsnType {
  return asn1js.fromBER(new Uint8Array(der)).result;
}

/** A skeleton ContentInfo(SignedData) with the given revocation data; only what the reader walks is filled in. */
function cms(options: { crls?: Buffer[]; ocsps?: Buffer[]; archival?: { crls: Buffer[]; ocsps: Buffer[] } }): Buffer {
  const choices = [
    ...(options.crls ?? []).map(raw),
    ...(options.ocsps ?? []).map((der) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [new asn1js.ObjectIdentifier({ value: '1.3.6.1.5.5.7.16.2' }), raw(der)] })),
  ];
  const signedAttrs = options.archival
    ? [
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.ObjectIdentifier({ value: '1.2.840.113583.1.1.8' }),
                new asn1js.Set({
                  value: [
                    new asn1js.Sequence({
                      value: [
                        new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Sequence({ value: options.archival.crls.map(raw) })] }),
                        new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [new asn1js.Sequence({ value: options.archival.ocsps.map(raw) })] }),
                      ],
                    }),
                  ],
                }),
              ],
            }),
          ],
        }),
      ]
    : [];
  const signerInfo = new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 }), new asn1js.Sequence(), new asn1js.Sequence(), ...signedAttrs] });
  const signedData = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.Set(),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })] }),
      ...(choices.length > 0 ? [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: choices })] : []),
      new asn1js.Set({ value: [signerInfo] }),
    ],
  });
  const contentInfo = new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.2' }), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [signedData] })],
  });
  return Buffer.from(contentInfo.toBER(false));
}

describe('readCmsRevocationData', () => {
  it('reads CRLs and OCSP responses from SignedData crls, then zero padding is harmless', async () => {
    const crl = await readFile(pki.crlDer);
    const ocsp = Buffer.from(new asn1js.Sequence({ value: [new asn1js.Enumerated({ value: 0 })] }).toBER(false));
    const der = Buffer.concat([cms({ crls: [crl], ocsps: [ocsp] }), Buffer.alloc(64)]);
    const data = readCmsRevocationData(der);
    expect(data.crls).toHaveLength(1);
    expect(data.crls[0]!.equals(crl)).toBe(true);
    expect(data.ocsps).toHaveLength(1);
    expect(data.ocsps[0]!.equals(ocsp)).toBe(true);
  });

  it('reads the adbe-revocationInfoArchival signed attribute', async () => {
    const crl = await readFile(pki.rootCrlDer);
    const ocsp = Buffer.from(new asn1js.Sequence({ value: [new asn1js.Enumerated({ value: 0 })] }).toBER(false));
    const data = readCmsRevocationData(cms({ archival: { crls: [crl], ocsps: [ocsp] } }));
    expect(data.crls.map((c) => c.equals(crl))).toEqual([true]);
    expect(data.ocsps.map((o) => o.equals(ocsp))).toEqual([true]);
  });

  it('returns nothing for a CMS without revocation data or for garbage', () => {
    expect(readCmsRevocationData(cms({}))).toEqual({ ocsps: [], crls: [] });
    expect(readCmsRevocationData(Buffer.from('garbage'))).toEqual({ ocsps: [], crls: [] });
  });
});
