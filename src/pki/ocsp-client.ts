// OCSP client (RFC 6960, nonce per RFC 8954): builds a request with a nonce, posts it over http,
// and accepts a response only if it is signed by the issuing CA or by a responder the CA
// delegated (id-kp-OCSPSigning), answers for our CertID, echoes our nonce and is fresh.
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fetchHttp, FetchError } from './http-fetch.js';
import { checkFreshness, nameRevocationReason, RevocationSourceError, type CertificateStatus, type RevocationReason } from './revocation-data.js';
import { verifyWithAlgorithm } from './signature-algorithm.js';
import { OID, isCandidateIssuer, isSignedBy, normaliseName, parseX509, type ParsedCertificate } from './x509.js';

const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const ID_PKIX_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
/** id-pkix-ocsp-archive-cutoff (RFC 6960 §4.4.4): the responder keeps statuses of certificates that expired at or after it. */
const ID_PKIX_OCSP_ARCHIVE_CUTOFF = '1.3.6.1.5.5.7.48.1.6';
const SHA1_OID = '1.3.14.3.2.26';

const HASHES_BY_OID: Record<string, string> = {
  [SHA1_OID]: 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** OCSPResponseStatus (RFC 6960 §4.2.1); 4 is not used. */
const RESPONSE_STATUS = ['successful', 'malformedRequest', 'internalError', 'tryLater', 'unused', 'sigRequired', 'unauthorized'];

export interface OcspRequest {
  der: Buffer;
  nonce: Buffer;
}

/**
 * ```asn
 * OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
 * TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, requestorName [1] EXPLICIT GeneralName OPTIONAL,
 *   requestList SEQUENCE OF Request, requestExtensions [2] EXPLICIT Extensions OPTIONAL }
 * Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 * CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
 *   issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
 * ```
 * The CertID hashes with SHA-1, the one algorithm every responder supports (RFC 5019 §2.1.1);
 * it identifies the certificate and carries no signature, so SHA-1's collisions do not matter.
 */
export function buildOcspRequest(cert: ParsedCertificate, issuer: ParsedCertificate): OcspRequest {
  const nonce = randomBytes(32);
  const certId = new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA1_OID, algorithmParams: new asn1js.Null() }),
    issuerNameHash: new asn1js.OctetString({ valueHex: createHash('sha1').update(issuer.subjectDer).digest() }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: createHash('sha1').update(issuer.subjectPublicKeyBits).digest() }),
    serialNumber: new asn1js.Integer({ valueHex: cert.cert.serialNumber.valueBlock.valueHexView }),
  });
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId })];
  request.tbsRequest.requestExtensions = [
    new pkijs.Extension({ extnID: ID_PKIX_OCSP_NONCE, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER() }),
  ];
  return { der: Buffer.from(request.toSchema(true).toBER()), nonce };
}

export interface FetchOcspOptions {
  timeoutMs: number;
  maxBytes: number;
}

/** POSTs the request (RFC 6960 Appendix A.1); network failures become 'unavailable'. */
export async function fetchOcspResponse(url: string, request: OcspRequest, options: FetchOcspOptions): Promise<Buffer> {
  try {
    return await fetchHttp(url, {
      method: 'POST',
      body: request.der,
      contentType: 'application/ocsp-request',
      accept: 'application/ocsp-response',
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
    });
  } catch (error) {
    if (error instanceof FetchError) throw new RevocationSourceError('unavailable', `OCSP: ${error.message}`, error);
    throw error;
  }
}

export interface OcspEvaluation {
  status: CertificateStatus;
  revocationTime: Date | null;
  revocationReason: RevocationReason | null;
  producedAt: Date;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** The delegated responder's certificate, or null when the CA signed the response itself. */
  responder: ParsedCertificate | null;
  /** archiveCutoff (RFC 6960 §4.4.4), when the responder states one. */
  archiveCutoff: Date | null;
}

export interface EvaluateOcspOptions {
  cert: ParsedCertificate;
  issuer: ParsedCertificate;
  /** The nonce we sent; a response carrying another nonce is refused. Absent for cached responses. */
  nonce?: Buffer;
  now: Date;
  clockSkewMs: number;
  /** How old a response without nextUpdate may be. */
  maxAgeWithoutNextUpdateMs: number;
}

/** Input of {@link checkOcspResponse}: who the answer must be about, and when the responder must have been valid. */
export interface CheckOcspOptions {
  cert: ParsedCertificate;
  issuer: ParsedCertificate;
  nonce?: Buffer;
  /** When a delegated responder's certificate must be valid: a time, or 'producedAt' for archived answers. */
  responderValidAt: Date | 'producedAt';
  clockSkewMs: number;
}

function invalid(message: string, cause?: unknown): RevocationSourceError {
  return new RevocationSourceError('invalid', `OCSP: ${message}`, cause);
}

export function decodeBasicResponse(der: Buffer): pkijs.BasicOCSPResponse {
  let response: pkijs.OCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(new Uint8Array(der));
  } catch (error) {
    throw invalid('the answer is not an OCSPResponse', error);
  }
  const statusCode = response.responseStatus.valueBlock.valueDec;
  if (statusCode !== 0) {
    const name = RESPONSE_STATUS[statusCode] ?? String(statusCode);
    // tryLater and internalError say nothing about the certificate: the responder is unavailable.
    throw new RevocationSourceError(statusCode === 2 || statusCode === 3 ? 'unavailable' : 'invalid', `OCSP: the responder answered ${name}`);
  }
  if (response.responseBytes?.responseType !== ID_PKIX_OCSP_BASIC) throw invalid('the response is not a BasicOCSPResponse');
  try {
    return pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView);
  } catch (error) {
    throw invalid('the BasicOCSPResponse cannot be decoded', error);
  }
}

/** ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash } — KeyHash is SHA-1 of the subjectPublicKey bits. */
function isResponder(responderId: unknown, cert: ParsedCertificate): boolean {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return normaliseName(responderId) === cert.subjectKey;
  if (responderId instanceof asn1js.OctetString) {
    return Buffer.from(responderId.valueBlock.valueHexView).equals(createHash('sha1').update(cert.subjectPublicKeyBits).digest());
  }
  return false;
}

/**
 * Who may sign (RFC 6960 §4.2.2.2): the CA that issued the certificate, or a responder whose
 * certificate that CA issued with id-kp-OCSPSigning. Returns the delegated responder, or null for the CA.
 */
function authoriseSigner(basic: pkijs.BasicOCSPResponse, options: CheckOcspOptions): ParsedCertificate | null {
  const responderId: unknown = basic.tbsResponseData.responderID;
  const tbs = basic.tbsResponseData.tbsView;
  const signature = basic.signature.valueBlock.valueHexView;
  if (isResponder(responderId, options.issuer)) {
    if (!verifyWithAlgorithm(basic.signatureAlgorithm, tbs, signature, options.issuer.publicKey)) throw invalid('the signature of the CA on the response does not verify');
    return null;
  }
  const embedded = (basic.certs ?? []).map((cert) => parseX509(Buffer.from(cert.toSchema().toBER())));
  const responder = embedded.find((cert) => isResponder(responderId, cert));
  if (responder === undefined) throw invalid('the response is signed by a responder whose certificate it does not carry');
  if (!isCandidateIssuer(responder, options.issuer) || !isSignedBy(responder, options.issuer)) {
    throw invalid(`the responder ${responder.info.subject} was not certified by ${options.issuer.info.subject}, so it may not answer for its certificates`);
  }
  if (!(responder.info.extendedKeyUsage ?? []).includes(OID.kpOcspSigning)) throw invalid(`the responder ${responder.info.subject} lacks id-kp-OCSPSigning`);
  if (responder.info.keyUsage !== null && !responder.info.keyUsage.includes('digitalSignature') && !responder.info.keyUsage.includes('nonRepudiation')) {
    throw invalid(`the responder ${responder.info.subject} may not sign (key usage)`);
  }
  if (responder.signatureAlgorithm.isWeak || responder.publicKeyFacts.isWeak) throw invalid(`the responder certificate ${responder.info.subject} uses a weak algorithm or key`);
  const at = (options.responderValidAt === 'producedAt' ? basic.tbsResponseData.producedAt : options.responderValidAt).getTime();
  if (at < responder.info.notBefore.getTime() - options.clockSkewMs || at > responder.info.notAfter.getTime() + options.clockSkewMs) {
    throw invalid(`the responder certificate ${responder.info.subject} is outside its validity`);
  }
  if (!verifyWithAlgorithm(basic.signatureAlgorithm, tbs, signature, responder.publicKey)) throw invalid('the responder signature on the response does not verify');
  return responder;
}

export function matchesCertId(id: pkijs.CertID, cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const hash = HASHES_BY_OID[id.hashAlgorithm.algorithmId];
  if (hash === undefined) return false;
  const serial = Buffer.from(id.serialNumber.valueBlock.valueHexView);
  return (
    serial.equals(Buffer.from(cert.cert.serialNumber.valueBlock.valueHexView)) &&
    Buffer.from(id.issuerNameHash.valueBlock.valueHexView).equals(createHash(hash).update(issuer.subjectDer).digest()) &&
    Buffer.from(id.issuerKeyHash.valueBlock.valueHexView).equals(createHash(hash).update(issuer.subjectPublicKeyBits).digest())
  );
}

function readNonce(basic: pkijs.BasicOCSPResponse): Buffer | null {
  const extension = (basic.tbsResponseData.responseExtensions ?? []).find((e) => e.extnID === ID_PKIX_OCSP_NONCE);
  if (extension === undefined) return null;
  const value = Buffer.from(extension.extnValue.valueBlock.valueHexView);
  // RFC 8954 wraps the nonce in an OCTET STRING inside extnValue; some responders send it bare.
  const inner = asn1js.fromBER(value).result;
  return inner instanceof asn1js.OctetString && !inner.error ? Buffer.from(inner.valueBlock.valueHexView) : value;
}

/**
 * ```asn
 * CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }
 * RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
 * ```
 */
function readStatus(single: pkijs.SingleResponse): Pick<OcspEvaluation, 'status' | 'revocationTime' | 'revocationReason'> {
  const block = single.certStatus as asn1js.BaseBlock & { valueBlock: { value?: asn1js.BaseBlock[] } };
  switch (block.idBlock.tagNumber) {
    case 0:
      return { status: 'good', revocationTime: null, revocationReason: null };
    case 1: {
      const [time, reason] = block.valueBlock.value ?? [];
      const revocationTime = time instanceof asn1js.GeneralizedTime ? time.toDate() : null;
      const enumerated = (reason as asn1js.Constructed | undefined)?.valueBlock.value[0];
      const code = enumerated instanceof asn1js.Enumerated ? enumerated.valueBlock.valueDec : undefined;
      return { status: 'revoked', revocationTime, revocationReason: nameRevocationReason(code) ?? 'unspecified' };
    }
    default:
      return { status: 'unknown', revocationTime: null, revocationReason: null };
  }
}

function readArchiveCutoff(basic: pkijs.BasicOCSPResponse): Date | null {
  const extension = (basic.tbsResponseData.responseExtensions ?? []).find((e) => e.extnID === ID_PKIX_OCSP_ARCHIVE_CUTOFF);
  if (extension === undefined) return null;
  const value = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  return value instanceof asn1js.GeneralizedTime ? value.toDate() : null;
}

/**
 * Checks who signed a DER OCSPResponse and that it answers for `cert`, and reads its status,
 * without judging its freshness (the caller decides against which time). Raises
 * RevocationSourceError: 'invalid' for garbage, a bad or unauthorised signature, another
 * certificate, a wrong nonce; 'unavailable' for tryLater and internalError.
 */
export function checkOcspResponse(der: Buffer, options: CheckOcspOptions): OcspEvaluation {
  const basic = decodeBasicResponse(der);
  const responder = authoriseSigner(basic, options);
  if (options.nonce !== undefined) {
    const echoed = readNonce(basic);
    // A responder may omit the nonce (pre-produced responses, RFC 5019); freshness then rests on thisUpdate.
    if (echoed !== null && !echoed.equals(options.nonce)) throw invalid('the response carries another nonce than the request (replayed or mixed up)');
  }
  const single = basic.tbsResponseData.responses.find((response) => matchesCertId(response.certID, options.cert, options.issuer));
  if (single === undefined) throw invalid(`the response does not answer for the certificate with serial ${options.cert.info.serialNumber}`);
  return {
    ...readStatus(single),
    producedAt: basic.tbsResponseData.producedAt,
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate ?? null,
    responder,
    archiveCutoff: readArchiveCutoff(basic),
  };
}

/**
 * Checks a DER OCSPResponse for `cert` and reads its status. Raises RevocationSourceError:
 * 'invalid' for garbage, a bad or unauthorised signature, another certificate, a wrong nonce;
 * 'stale' when nextUpdate has passed; 'unavailable' for tryLater and internalError.
 */
export function evaluateOcspResponse(der: Buffer, options: EvaluateOcspOptions): OcspEvaluation {
  const evaluation = checkOcspResponse(der, { cert: options.cert, issuer: options.issuer, nonce: options.nonce, responderValidAt: options.now, clockSkewMs: options.clockSkewMs });
  const { thisUpdate, nextUpdate } = evaluation;
  checkFreshness('OCSP response', thisUpdate, nextUpdate, options);
  if (nextUpdate === null && options.now.getTime() - thisUpdate.getTime() > options.maxAgeWithoutNextUpdateMs + options.clockSkewMs) {
    throw new RevocationSourceError('stale', `OCSP: the response from ${thisUpdate.toISOString()} has no nextUpdate and is too old`);
  }
  return evaluation;
}

/**
 * The checks of {@link evaluateOcspResponse} that depend on the time, on an evaluation made before
 * of the same bytes for the same certificate and issuer: decoding and verifying a response again
 * gives the same answer, but the response may have gone stale and its signer out of validity.
 */
export function recheckOcspEvaluation(evaluation: OcspEvaluation, options: Pick<EvaluateOcspOptions, 'issuer' | 'now' | 'clockSkewMs' | 'maxAgeWithoutNextUpdateMs'>): OcspEvaluation {
  const { thisUpdate, nextUpdate } = evaluation;
  checkFreshness('OCSP response', thisUpdate, nextUpdate, options);
  if (nextUpdate === null && options.now.getTime() - thisUpdate.getTime() > options.maxAgeWithoutNextUpdateMs + options.clockSkewMs) {
    throw new RevocationSourceError('stale', `OCSP: the response from ${thisUpdate.toISOString()} has no nextUpdate and is too old`);
  }
  const signer = evaluation.responder ?? options.issuer;
  const at = options.now.getTime();
  if (at < signer.info.notBefore.getTime() - options.clockSkewMs || at > signer.info.notAfter.getTime() + options.clockSkewMs) {
    throw invalid(`the responder certificate ${signer.info.subject} is outside its validity`);
  }
  return evaluation;
}
