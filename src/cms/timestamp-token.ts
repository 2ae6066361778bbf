// RFC 3161 time-stamp protocol messages: the request, the checked response, and the
// signature-time-stamp unsigned attribute that makes a CAdES signature B-T (ETSI EN 319 122-1
// §5.3). Only digests go in; the network call belongs to the caller.

import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MapsignError } from '../errors.js';
import { getHashOid, findHashAlgorithm, type HashAlgorithm } from './algorithms.js';
import { encapsulatedContentOf, encodeAttribute, isSingleElement, sequenceMembers, unsignedAttributeValues } from './certificate-set.js';
import { readSignedData } from './parse.js';
import { verifySignedData } from './verify.js';

/** id-aa-signatureTimeStampToken (RFC 3161 appendix A). */
export const SIGNATURE_TIME_STAMP_OID = '1.2.840.113549.1.9.16.2.14';
/** id-ct-TSTInfo. */
export const TST_INFO_OID = '1.2.840.113549.1.9.16.1.4';

export interface TimeStampRequestOptions {
  /** The hash of the data to be time-stamped (for B-T: of the SignerInfo's signature value). */
  messageImprint: Buffer;
  hashAlgorithm: HashAlgorithm;
  nonce: Buffer;
  policy?: string;
}

/** Minimal DER INTEGER content for an unsigned value: no redundant leading zeros, one added when the top bit is set. */
function toPositiveIntegerBytes(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const trimmed = value.subarray(start);
  return (trimmed[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

/**
 * ```asn
 * TimeStampReq ::= SEQUENCE {
 *   version        INTEGER { v1(1) },
 *   messageImprint MessageImprint,
 *   reqPolicy      TSAPolicyId OPTIONAL,
 *   nonce          INTEGER OPTIONAL,
 *   certReq        BOOLEAN DEFAULT FALSE,
 *   extensions     [0] IMPLICIT Extensions OPTIONAL }
 * ```
 */
export function buildTimeStampRequest(options: TimeStampRequestOptions): Buffer {
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: getHashOid(options.hashAlgorithm) }),
      hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(options.messageImprint) }),
    }),
    nonce: new asn1js.Integer({ valueHex: new Uint8Array(toPositiveIntegerBytes(options.nonce)) }),
    certReq: true,
    ...(options.policy ? { reqPolicy: options.policy } : {}),
  });
  return Buffer.from(request.toSchema().toBER(false));
}

export interface TimeStampToken {
  /** ContentInfo(SignedData) DER of the token, as embedded in the signature. */
  token: Buffer;
  genTime: Date;
  serialNumber: string;
  policy: string;
  hashAlgorithm: HashAlgorithm;
  messageImprint: Buffer;
  /** Certificates carried in the token (the TSA's, when certReq was set). */
  certificates: Buffer[];
  /** The TSA certificate that signed the token. */
  signerCertificate: Buffer | null;
}

function invalid(message: string, cause?: unknown): never {
  throw new MapsignError('TSA_RESPONSE_INVALID', message, cause === undefined ? {} : { cause });
}

/** Reads a time-stamp token (ContentInfo of SignedData over TSTInfo) and checks its CMS signature. */
export function readTimeStampToken(token: Buffer): TimeStampToken {
  return readToken(token).result;
}

/** The token's TSTInfo and what it is, read once; the certificates come raw (see certificate-set.ts). */
function readToken(token: Buffer): { result: TimeStampToken; tstInfo: pkijs.TSTInfo } {
  let tstInfo: pkijs.TSTInfo;
  let eContent: Buffer;
  try {
    const raw = encapsulatedContentOf(token);
    if (raw !== null) {
      if (readSignedData(token).eContentType !== TST_INFO_OID) invalid('the token does not carry a TSTInfo');
      eContent = Buffer.from(raw);
    } else {
      const contentInfo = pkijs.ContentInfo.fromBER(new Uint8Array(token));
      const signedData = new pkijs.SignedData({ schema: contentInfo.content });
      if (signedData.encapContentInfo.eContentType !== TST_INFO_OID || !signedData.encapContentInfo.eContent) {
        invalid('the token does not carry a TSTInfo');
      }
      eContent = Buffer.from(signedData.encapContentInfo.eContent.getValue());
    }
    tstInfo = pkijs.TSTInfo.fromBER(new Uint8Array(eContent));
  } catch (error) {
    if (error instanceof MapsignError && error.code === 'TSA_RESPONSE_INVALID') throw error;
    invalid('the time-stamp token cannot be read', error);
  }
  const parsed = readSignedData(token);
  const hashAlgorithm = findHashAlgorithm(parsed.digestAlgorithmOid);
  if (!hashAlgorithm) invalid(`the token uses unsupported digest ${parsed.digestAlgorithmOid}`);
  const check = verifySignedData(token, createHash(hashAlgorithm).update(eContent).digest());
  if (!check.ok) invalid(`the time-stamp token's signature does not verify: ${check.reason ?? ''}`);
  const imprintHash = findHashAlgorithm(tstInfo.messageImprint.hashAlgorithm.algorithmId);
  if (!imprintHash) invalid(`the token's imprint uses unsupported hash ${tstInfo.messageImprint.hashAlgorithm.algorithmId}`);
  const result: TimeStampToken = {
    token,
    genTime: tstInfo.genTime,
    serialNumber: Buffer.from(tstInfo.serialNumber.valueBlock.valueHexView).toString('hex'),
    policy: tstInfo.policy,
    hashAlgorithm: imprintHash,
    messageImprint: Buffer.from(tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView),
    certificates: parsed.certificates,
    signerCertificate: parsed.signerCertificate,
  };
  return { result, tstInfo };
}

/**
 * Checks a TimeStampResp (RFC 3161 §2.4.2): status granted, then the token's signature, imprint
 * and nonce against the request.
 */
export function readTimeStampResponse(response: Buffer, expected: TimeStampRequestOptions): TimeStampToken {
  // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }:
  // the token is taken as the bytes the TSA sent, not decoded and encoded again.
  let statusInfo: pkijs.PKIStatusInfo;
  let token: Buffer | null;
  try {
    const members = sequenceMembers(response);
    if (members !== null && members.length >= 1 && members.length <= 2) {
      statusInfo = pkijs.PKIStatusInfo.fromBER(new Uint8Array(members[0]!));
      token = members[1] === undefined ? null : Buffer.from(members[1]);
    } else {
      const parsed = pkijs.TimeStampResp.fromBER(new Uint8Array(response));
      statusInfo = parsed.status;
      token = parsed.timeStampToken ? Buffer.from(parsed.timeStampToken.toSchema().toBER(false)) : null;
    }
  } catch (error) {
    invalid('the TSA answered something that is not a TimeStampResp', error);
  }
  const status = statusInfo.status;
  if (status !== 0 && status !== 1) {
    const text = statusInfo.statusStrings?.map((s) => s.valueBlock.value).join('; ') ?? '';
    invalid(`the TSA refused the request (status ${status}${text ? `: ${text}` : ''})`);
  }
  if (!token) invalid('the TSA granted the request but sent no token');
  const { result, tstInfo } = readToken(token);
  if (result.hashAlgorithm !== expected.hashAlgorithm || !result.messageImprint.equals(expected.messageImprint)) {
    invalid('the token time-stamps another hash than the one requested');
  }
  const nonce = tstInfo.nonce ? Buffer.from(tstInfo.nonce.valueBlock.valueHexView) : null;
  const stripped = (b: Buffer): Buffer => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return b.subarray(i);
  };
  if (!nonce || !stripped(nonce).equals(stripped(expected.nonce))) invalid('the token does not echo the request nonce');
  return result;
}

/**
 * ```asn
 * Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }
 * SignatureTimeStampToken ::= TimeStampToken
 * ```
 */
export function buildSignatureTimeStampAttribute(token: Buffer): Buffer {
  if (!isSingleElement(token)) invalid('the time-stamp token is not one DER element');
  return encodeAttribute(SIGNATURE_TIME_STAMP_OID_DER, token);
}

const SIGNATURE_TIME_STAMP_OID_DER = Buffer.from(new asn1js.ObjectIdentifier({ value: SIGNATURE_TIME_STAMP_OID }).toBER(false));

/** The signature time-stamp tokens in the unsigned attributes of a CMS signature (B-T and above). */
export function readSignatureTimeStampTokens(cms: Buffer): Buffer[] {
  const raw = unsignedAttributeValues(cms, SIGNATURE_TIME_STAMP_OID_DER);
  if (raw !== null) return raw.map((value) => Buffer.from(value));
  let signedData: pkijs.SignedData;
  try {
    const parsed = asn1js.fromBER(new Uint8Array(cms));
    signedData = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: parsed.result }).content });
  } catch (error) {
    throw new MapsignError('CMS_MALFORMED', 'the signature is not a CMS SignedData', { cause: error });
  }
  const attributes = signedData.signerInfos[0]?.unsignedAttrs?.attributes ?? [];
  return attributes
    .filter((attribute) => attribute.type === SIGNATURE_TIME_STAMP_OID)
    .flatMap((attribute) => attribute.values.map((value) => Buffer.from(value.toBER(false))));
}
