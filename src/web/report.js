/* global Blob, URL */
// The verification report (docs/verify-report.md) in plain words: the verdict, then one card per
// signature: who, for which organisation, when (proven or claimed), certificate, revocation and
// what changed after signing.

import { formatTime, h, lang, t } from './i18n.js';

const REASONS = {
  vi: {
    HASH_FAILURE: 'Nội dung đã bị sửa sau khi ký (dữ liệu được ký không còn khớp).',
    DISALLOWED_CHANGES: 'Tệp đã bị thay đổi sau khi ký theo cách không được phép.',
    SIG_CRYPTO_FAILURE: 'Chữ ký số không khớp với chứng thư của người ký.',
    FORMAT_FAILURE: 'Chữ ký không đúng định dạng.',
    REVOKED: 'Chứng thư số của người ký đã bị thu hồi trước khi ký.',
    EXPIRED: 'Chứng thư số đã hết hạn khi ký.', NOT_YET_VALID: 'Chứng thư số chưa có hiệu lực khi ký.',
    NO_CERTIFICATE_CHAIN_FOUND: 'Không xác định được tổ chức cấp chứng thư số là tổ chức tin cậy.',
    NO_SIGNING_CERTIFICATE_FOUND: 'Không tìm thấy chứng thư số của người ký.',
    REVOKED_NO_POE: 'Chứng thư số đã bị thu hồi và không có dấu thời gian chứng minh chữ ký có trước đó.',
    OUT_OF_BOUNDS_NO_POE: 'Chứng thư số đã hết hạn và không có dấu thời gian chứng minh thời điểm ký.',
    OUT_OF_BOUNDS_NOT_REVOKED: 'Chứng thư số đã hết hạn; thiếu dấu thời gian chứng minh thời điểm ký.',
    TRY_LATER: 'Chưa lấy được thông tin thu hồi chứng thư số; hãy thử lại sau.',
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE: 'Chữ ký dùng thuật toán cũ (SHA-1) không còn an toàn.',
    CRYPTO_CONSTRAINTS_FAILURE: 'Chứng thư số dùng thuật toán hoặc khóa quá yếu.',
    CHAIN_CONSTRAINTS_FAILURE: 'Chứng thư số không được phép dùng để ký.',
    CERTIFICATE_CHAIN_GENERAL_FAILURE: 'Chuỗi chứng thư số không hợp lệ.',
    NO_SIGNATURE_FOUND: 'Tệp không có chữ ký số nào.',
  },
  en: {
    HASH_FAILURE: 'The content was edited after signing (the signed data no longer matches).',
    DISALLOWED_CHANGES: 'The file was changed after signing in a way that is not allowed.',
    SIG_CRYPTO_FAILURE: 'The signature does not match the signer\'s certificate.',
    FORMAT_FAILURE: 'The signature is malformed.',
    REVOKED: 'The signer\'s certificate had been revoked before signing.',
    EXPIRED: 'The certificate had expired when signing.', NOT_YET_VALID: 'The certificate was not yet valid when signing.',
    NO_CERTIFICATE_CHAIN_FOUND: 'The certificate was not issued by a trusted authority (or trust was not checked).',
    NO_SIGNING_CERTIFICATE_FOUND: 'The signer\'s certificate is missing.',
    REVOKED_NO_POE: 'The certificate is revoked and no time-stamp proves the signature older.',
    OUT_OF_BOUNDS_NO_POE: 'The certificate has expired and no time-stamp proves when it signed.',
    OUT_OF_BOUNDS_NOT_REVOKED: 'The certificate has expired; a time-stamp proving the signing time is missing.',
    TRY_LATER: 'The revocation status could not be obtained; try again later.',
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE: 'The signature uses an obsolete algorithm (SHA-1).',
    CRYPTO_CONSTRAINTS_FAILURE: 'The certificate uses a weak algorithm or key.',
    CHAIN_CONSTRAINTS_FAILURE: 'The certificate may not be used to sign.',
    CERTIFICATE_CHAIN_GENERAL_FAILURE: 'The certificate chain is not valid.',
    NO_SIGNATURE_FOUND: 'The file has no digital signature.',
  },
};

const CHANGES = {
  vi: {
    'page-content-changed': 'nội dung bản vẽ của trang bị thay đổi', 'page-resources-changed': 'tài nguyên của trang (phông, hình) bị thay đổi', 'page-changed': 'trang bị sửa',
    'pages-changed': 'danh sách trang bị thay đổi', 'annotation-added-disallowed': 'thêm chú thích có thể che nội dung', 'signed-field-changed': 'giá trị ô đã ký bị sửa',
    'object-changed': 'một phần dữ liệu đã ký bị sửa', 'object-deleted': 'một phần dữ liệu đã ký bị xóa', 'object-added': 'thêm dữ liệu không rõ mục đích',
    'widget-too-large': 'thêm ô chữ ký che phủ quá lớn', 'sneaky-signature': 'thêm ô chữ ký hiển thị trên tài liệu đã chứng nhận', 'appearance-reuses-signed-content': 'hình hiển thị mới dùng lại nội dung ẩn',
    'field-locked': 'ô đã khóa bị sửa', 'modification-not-permitted': 'thay đổi mà chữ ký chứng nhận không cho phép', 'catalog-changed': 'cấu trúc tài liệu bị sửa',
  },
  en: {
    'page-content-changed': 'the page drawing was changed', 'page-resources-changed': 'page resources (fonts, images) were changed', 'page-changed': 'the page was edited',
    'pages-changed': 'the page list was changed', 'annotation-added-disallowed': 'an annotation that can cover content was added', 'signed-field-changed': 'a signed field was edited',
    'object-changed': 'signed data was edited', 'object-deleted': 'signed data was deleted', 'object-added': 'unexplained data was added',
    'widget-too-large': 'an oversized signature box was added', 'sneaky-signature': 'a visible signature box was added to a certified document', 'appearance-reuses-signed-content': 'a new appearance reveals hidden content',
    'field-locked': 'a locked field was edited', 'modification-not-permitted': 'a change the certification forbids', 'catalog-changed': 'the document structure was edited',
  },
};

export function reasonOf(subIndication) {
  return REASONS[lang()][subIndication] ?? subIndication ?? '';
}

function changeWords(change) {
  const words = CHANGES[lang()][change.code] ?? change.code;
  return change.page ? `${words} (${lang() === 'vi' ? 'trang' : 'page'} ${change.page})` : words;
}

function verdictClass(indication) {
  return indication === 'PASSED' ? 'ok' : indication === 'FAILED' ? 'bad' : 'unknown';
}

function verdictWord(indication) {
  return indication === 'PASSED' ? t('valid') : indication === 'FAILED' ? t('invalid') : t('indeterminate');
}

function disallowedReasons(report) {
  const found = (report.changes ?? []).filter((c) => !c.isAllowed).map(changeWords);
  for (const f of report.findings ?? []) if (f.affectsSignatures !== false) found.push(f.message ?? f.code);
  return [...new Set(found)];
}

function fact(label, value, cls) {
  return [h('dt', {}, label), h('dd', cls ? { class: cls } : {}, value)];
}

function signatureCard(report, sig) {
  const isTimestamp = sig.kind === 'document-timestamp';
  const time = sig.signingTime ?? {};
  const trust = sig.trust ?? {};
  const integrityOk = sig.integrity ? sig.integrity.isDigestValid !== false && sig.integrity.isByteRangeValid !== false : sig.subIndication !== 'HASH_FAILURE';
  const later = (report.changes ?? []).filter((c) => c.revision > sig.revision);
  const bad = later.filter((c) => !c.isAllowed);
  const revocation = trust.revocation === 'good' ? ['revGood', 'yes'] : trust.revocation === 'revoked' ? ['revRevoked', 'no'] : trust.revocation === 'unknown' ? ['revUnknown', 'maybe'] : ['revNotChecked', 'maybe'];
  const cert = trust.status === 'trusted' ? ['certTrusted', 'yes'] : trust.status === 'not-trusted' ? ['certNotTrusted', 'no'] : ['certNotChecked', 'maybe'];
  const changes = later.length === 0 ? t('noChanges') : bad.length === 0 ? t('allowedChanges') : `${t('disallowedChanges')}: ${[...new Set(bad.map(changeWords))].join('; ')}`;
  return h('section', { class: 'card', 'aria-label': `${t('signature')} ${sig.index}` },
    h('h3', {}, `${isTimestamp ? t('docTimestamp') : t('signature')} ${sig.index}: `, h('span', { class: verdictClass(sig.indication) === 'ok' ? 'yes' : verdictClass(sig.indication) === 'bad' ? 'no' : 'maybe' }, verdictWord(sig.indication))),
    sig.indication !== 'PASSED' ? h('p', { class: 'reason' }, `${t('reason')}: ${reasonOf(sig.subIndication)}`) : null,
    h('dl', { class: 'facts' },
      fact(t('signer'), sig.signer?.commonName ?? sig.timestamp?.tsa ?? '—', 'signer-name'),
      fact(t('organisation'), sig.signer?.organization ?? '—'),
      fact(t('when'), `${formatTime(time.time ?? time.claimed)} — ${time.isProven ? t('proven') : t('claimed')}`, time.isProven ? 'yes' : 'maybe'),
      fact(t('certificate'), t(cert[0]), cert[1]),
      fact(t('revocation'), t(revocation[0]), revocation[1]),
      fact(t('content'), integrityOk ? t('intact') : t('altered'), integrityOk ? 'yes' : 'no'),
      fact(t('changes'), changes, bad.length ? 'no' : 'yes'),
    ),
  );
}

/** The whole report as DOM, with a download link for its JSON. */
export function renderReport(report) {
  const indication = report.verdict?.indication ?? 'INDETERMINATE';
  const cls = verdictClass(indication);
  const details = indication === 'PASSED' ? [] : disallowedReasons(report);
  const reason = indication === 'PASSED' ? '' : `${reasonOf(report.verdict.subIndication)}${details.length ? ` (${details.join('; ')})` : ''}`;
  const text = indication === 'PASSED' ? t('validText') : (indication === 'FAILED' ? t('invalidText') : t('indeterminateText')) + reason;
  const json = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
  const name = `${(report.file?.name ?? 'sheet').replace(/\.pdf$/i, '')}-report.json`;
  return h('div', { class: 'report' },
    h('div', { class: `verdict ${cls}`, role: 'status', 'data-verdict': indication },
      h('h2', {}, `${t('verdict')}: ${verdictWord(indication)}`),
      h('p', { class: 'verdict-text' }, text),
      h('p', {}, `${t('file')}: ${report.file?.name ?? ''} · SHA-256 ${report.file?.sha256 ?? ''}`),
    ),
    (report.signatures ?? []).length === 0 ? h('p', {}, t('noSignature')) : report.signatures.map((sig) => signatureCard(report, sig)),
    h('p', {}, h('a', { class: 'button secondary', href: URL.createObjectURL(json), download: name, 'data-role': 'download-json' }, t('downloadJson'))),
  );
}
