// The plain-text report for applicants, in Vietnamese (default) or English: who signed, for which
// organisation, the certificate's issuer and serial, when (proven by a time-stamp or only
// claimed), whether the content is intact, whether the certificate is trusted, and what changed
// after signing. Plain words first; codes stay in the JSON.

import type { ObjectChange, RevocationCheckReport, RevocationSource, SignatureReport, VerifyReport } from './types.js';

export type ReportLanguage = 'vi' | 'en';

const WORDS = {
  vi: {
    title: 'KẾT QUẢ KIỂM TRA CHỮ KÝ SỐ',
    file: 'Tệp',
    checkedAt: 'Thời điểm kiểm tra',
    verdict: 'Kết luận',
    PASSED: 'HỢP LỆ',
    FAILED: 'KHÔNG HỢP LỆ',
    INDETERMINATE: 'CHƯA XÁC ĐỊNH ĐƯỢC',
    noSignature: 'Tệp không có chữ ký số nào.',
    signature: 'Chữ ký',
    timestampDoc: 'Dấu thời gian của tài liệu',
    signer: 'Người ký',
    organization: 'Tổ chức',
    issuer: 'Chứng thư số do',
    issuedBy: ' cấp, số sê-ri',
    time: 'Thời gian ký',
    proven: 'đã được xác thực bằng dấu thời gian',
    timestamped: 'theo dấu thời gian (chưa kiểm tra được đơn vị cấp dấu thời gian)',
    claimed: 'do người ký tự ghi, chưa được chứng minh',
    noTime: 'không ghi thời gian',
    integrity: 'Toàn vẹn',
    intact: 'nội dung được ký không bị thay đổi',
    broken: 'nội dung được ký ĐÃ BỊ THAY ĐỔI hoặc chữ ký bị làm giả',
    unknown: 'không kiểm tra được',
    validity: 'Hiệu lực chứng thư',
    trusted: 'được tin cậy (chuỗi chứng thực đến tổ chức gốc tin cậy)',
    notTrusted: 'KHÔNG được tin cậy',
    unconfirmed: 'chưa xác nhận được',
    notChecked: 'chưa kiểm tra (chưa cung cấp danh sách tổ chức chứng thực tin cậy)',
    revocationNotChecked: 'chưa kiểm tra thu hồi',
    chain: 'Chuỗi chứng thư',
    revocation: 'Tình trạng thu hồi',
    good: 'chưa bị thu hồi',
    revoked: 'ĐÃ BỊ THU HỒI',
    revocationUnknown: 'không xác định được',
    revokedOn: 'thu hồi lúc',
    issuedAt: 'dữ liệu phát hành lúc',
    after: 'Thay đổi sau khi ký',
    none: 'không có',
    allowedOnly: 'chỉ có thay đổi được phép',
    disallowed: 'CÓ THAY ĐỔI KHÔNG ĐƯỢC PHÉP',
    level: 'Mức chữ ký PAdES',
    format: 'Định dạng',
    problems: 'Vấn đề',
    warnings: 'Lưu ý',
    changes: 'Các thay đổi sau khi ký',
    allowedMark: 'được phép',
    disallowedMark: 'KHÔNG được phép',
    revision: 'phiên bản',
    object: 'đối tượng',
    reason: 'Lý do',
    location: 'Nơi ký',
    certified: 'Chữ ký chứng nhận tài liệu; quyền cho phép sửa đổi sau đó',
    findings: 'Phát hiện trong cấu trúc tệp',
  },
  en: {
    title: 'DIGITAL SIGNATURE CHECK',
    file: 'File',
    checkedAt: 'Checked at',
    verdict: 'Result',
    PASSED: 'VALID',
    FAILED: 'NOT VALID',
    INDETERMINATE: 'CANNOT BE CONFIRMED',
    noSignature: 'The file carries no digital signature.',
    signature: 'Signature',
    timestampDoc: 'Document time-stamp',
    signer: 'Signed by',
    organization: 'Organisation',
    issuer: 'Certificate issued by',
    issuedBy: ', serial number',
    time: 'Signing time',
    proven: 'proven by a time-stamp',
    timestamped: 'from a time-stamp (the time-stamp authority was not checked)',
    claimed: 'as stated by the signer, not proven',
    noTime: 'no time given',
    integrity: 'Integrity',
    intact: 'the signed content has not been changed',
    broken: 'the signed content HAS BEEN CHANGED or the signature is forged',
    unknown: 'could not be checked',
    validity: 'Certificate',
    trusted: 'trusted (chains to a trusted root)',
    notTrusted: 'NOT trusted',
    unconfirmed: 'cannot be confirmed yet',
    notChecked: 'not checked (no trusted roots were given)',
    revocationNotChecked: 'revocation not checked',
    chain: 'Certificate chain',
    revocation: 'Revocation',
    good: 'not revoked',
    revoked: 'REVOKED',
    revocationUnknown: 'could not be established',
    revokedOn: 'revoked on',
    issuedAt: 'evidence issued',
    after: 'Changes after signing',
    none: 'none',
    allowedOnly: 'only allowed changes',
    disallowed: 'CHANGES THAT ARE NOT ALLOWED',
    level: 'PAdES level',
    format: 'Format',
    problems: 'Problems',
    warnings: 'Notes',
    changes: 'Changes after signing',
    allowedMark: 'allowed',
    disallowedMark: 'NOT allowed',
    revision: 'revision',
    object: 'object',
    reason: 'Reason',
    location: 'Location',
    certified: 'Certification signature; changes it allows afterwards',
    findings: 'Found in the file structure',
  },
} as const;

const SOURCE_WORDS: Record<'vi' | 'en', Record<RevocationSource, string>> = {
  vi: {
    'dss-ocsp': 'phản hồi OCSP lưu trong tệp (DSS)',
    'dss-crl': 'danh sách thu hồi (CRL) lưu trong tệp (DSS)',
    cms: 'dữ liệu thu hồi kèm trong chữ ký',
    'online-ocsp': 'hỏi trực tuyến máy chủ OCSP',
    'online-crl': 'tải trực tuyến danh sách thu hồi (CRL)',
  },
  en: {
    'dss-ocsp': 'OCSP response kept in the file (DSS)',
    'dss-crl': 'CRL kept in the file (DSS)',
    cms: 'revocation data inside the signature',
    'online-ocsp': 'OCSP responder asked online',
    'online-crl': 'CRL fetched online',
  },
};

function revocationLine(check: RevocationCheckReport, language: ReportLanguage): string {
  const w = WORDS[language];
  const name = check.subject.split(',')[0]?.replace(/^CN=/, '') ?? check.subject;
  const status = check.status === 'good' ? w.good : check.status === 'revoked' ? `${w.revoked}${check.revocationTime ? ` (${w.revokedOn} ${check.revocationTime})` : ''}` : w.revocationUnknown;
  const source = check.source ? ` — ${SOURCE_WORDS[language][check.source]}${check.thisUpdate ? `, ${w.issuedAt} ${check.thisUpdate}` : ''}` : ` — ${check.message}`;
  return `    ${name}: ${status}${source}`;
}

const CHANGE_VI: Partial<Record<ObjectChange['code'], string>> = {
  'signature-added': 'thêm một chữ ký mới',
  'signature-field-added': 'thêm ô chữ ký mới',
  'signature-field-signed': 'ký vào ô chữ ký có sẵn',
  'signature-appearance': 'hình hiển thị của chữ ký',
  'acroform-updated': 'cập nhật danh sách ô nhập liệu để thêm chữ ký',
  'page-annotations-signature-widget': 'thêm ô chữ ký vào trang',
  'dss-updated': 'bổ sung dữ liệu kiểm tra dài hạn (DSS)',
  'form-field-filled': 'điền nội dung vào ô nhập liệu',
  'annotation-added': 'thêm ghi chú',
  'info-updated': 'cập nhật thông tin mô tả tệp',
  'metadata-updated': 'cập nhật siêu dữ liệu XMP',
  'catalog-changed': 'sửa cấu trúc gốc của tài liệu',
  'acroform-changed': 'sửa biểu mẫu của tài liệu',
  'field-added': 'thêm ô nhập liệu mới',
  'field-changed': 'sửa ô nhập liệu',
  'field-locked': 'sửa ô nhập liệu đã bị khóa bởi chữ ký',
  'field-read-only': 'sửa ô nhập liệu chỉ-đọc',
  'signed-field-changed': 'thay chữ ký đã có',
  'signature-changed': 'sửa chữ ký đã có',
  'page-content-changed': 'THAY NỘI DUNG TRANG',
  'page-resources-changed': 'thay hình ảnh, phông chữ hoặc hình vẽ của trang',
  'page-changed': 'sửa trang',
  'pages-changed': 'thêm, bớt hoặc đổi thứ tự trang',
  'annotation-added-disallowed': 'thêm chú thích có thể che hoặc đè lên nội dung đã ký',
  'annotation-removed': 'xóa chú thích đã có khi ký',
  'annotation-changed': 'sửa chú thích đã có khi ký',
  'sneaky-signature': 'thêm ô chữ ký hiển thị vào tài liệu đã được chứng nhận (có thể che nội dung)',
  'widget-too-large': 'thêm ô chữ ký quá lớn, có thể che nội dung trang',
  'appearance-reuses-signed-content': 'cho hiện nội dung giấu sẵn trong tệp (tấn công "bóng")',
  'object-changed': 'sửa một đối tượng đã được ký',
  'object-added': 'thêm đối tượng không rõ mục đích',
  'object-deleted': 'xóa một đối tượng đã được ký',
  'modification-not-permitted': 'sửa đổi mà chữ ký chứng nhận không cho phép',
};

function changeLine(change: ObjectChange, language: ReportLanguage): string {
  const w = WORDS[language];
  const mark = change.isAllowed ? w.allowedMark : w.disallowedMark;
  const what = language === 'vi' ? (CHANGE_VI[change.code] ?? change.code) : change.message;
  const detail = language === 'vi' ? ` — ${change.message}` : '';
  return `    [${mark}] ${w.revision} ${change.revision}, ${w.object} ${change.objectNumber} (${change.objectType}): ${what}${detail}`;
}

function signatureBlock(s: SignatureReport, report: VerifyReport, language: ReportLanguage): string[] {
  const w = WORDS[language];
  const head = s.kind === 'document-timestamp' ? w.timestampDoc : w.signature;
  const lines = [`${head} ${s.index}${s.fieldName ? ` (${s.fieldName})` : ''}: ${w[s.indication]}${s.subIndication ? ` [${s.subIndication}]` : ''}`];
  if (s.signer) {
    lines.push(`  ${w.signer}: ${s.signer.commonName ?? s.signer.subject}`);
    if (s.signer.organization) lines.push(`  ${w.organization}: ${s.signer.organization}`);
    lines.push(`  ${w.issuer} ${s.signer.issuer}${w.issuedBy} ${s.signer.serialNumber}`);
  }
  const time = s.signingTime;
  const how = time.time === null ? w.noTime : time.source === 'timestamp' ? (time.isProven ? w.proven : w.timestamped) : w.claimed;
  lines.push(`  ${w.time}: ${time.time ?? ''}${time.time ? ` (${how})` : how}`);
  if (s.reason) lines.push(`  ${w.reason}: ${s.reason}`);
  if (s.location) lines.push(`  ${w.location}: ${s.location}`);
  const isIntact = s.integrity.isByteRangeValid && s.integrity.isDigestValid === true && s.integrity.isSignatureValid === true;
  const isBroken = s.integrity.isDigestValid === false || s.integrity.isSignatureValid === false || !s.integrity.isByteRangeValid;
  lines.push(`  ${w.integrity}: ${isIntact ? w.intact : isBroken ? w.broken : w.unknown}`);
  const notTrusted = s.trust.subIndication === 'TRY_LATER' ? w.unconfirmed : w.notTrusted;
  const trust = s.trust.status === 'trusted' ? w.trusted : s.trust.status === 'not-checked' ? w.notChecked : `${notTrusted} — ${s.trust.message}`;
  lines.push(`  ${w.validity}: ${trust}${s.trust.status === 'trusted' && s.trust.revocation === 'not-checked' ? `; ${w.revocationNotChecked}` : ''}`);
  if (s.trust.status !== 'not-checked' && s.trust.chain.length > 0) lines.push(`  ${w.chain}: ${s.trust.chain.map((subject) => subject.split(',')[0]?.replace(/^CN=/, '') ?? subject).join(' → ')}`);
  if (s.trust.revocationChecks.length > 0) lines.push(`  ${w.revocation}:`, ...s.trust.revocationChecks.map((c) => revocationLine(c, language)));
  const after = s.changesAfter.disallowed > 0 ? w.disallowed : s.changesAfter.allowed > 0 ? w.allowedOnly : w.none;
  lines.push(`  ${w.after}: ${after}`);
  if (s.certificationPermission !== null) lines.push(`  ${w.certified}: /P ${s.certificationPermission}`);
  lines.push(`  ${w.format}: ${s.subFilter ?? '?'}${s.level ? `; ${w.level} ${s.level}` : ''}`);
  if (s.errors.length > 0) lines.push(`  ${w.problems}:`, ...s.errors.map((e) => `    - ${e.code}: ${e.message}`));
  if (s.warnings.length > 0) lines.push(`  ${w.warnings}:`, ...s.warnings.map((x) => `    - ${x}`));
  const changes = report.changes.filter((c) => c.revision > (s.revision ?? 0));
  if (changes.length > 0 && s.changesAfter.disallowed > 0) {
    lines.push(`  ${w.changes}:`, ...changes.filter((c) => !c.isAllowed).slice(0, 20).map((c) => changeLine(c, language)));
  }
  return lines;
}

/** The report as plain text; Vietnamese unless `language` is 'en'. */
export function formatReport(report: VerifyReport, language: ReportLanguage = 'vi'): string {
  const w = WORDS[language];
  const sizeMb = (report.file.size / 1024 / 1024).toFixed(1);
  const lines = [
    w.title,
    `${w.file}: ${report.file.name} (${sizeMb} MB)${report.file.sha256 ? `, SHA-256 ${report.file.sha256}` : ''}`,
    `${w.checkedAt}: ${report.validationTime}`,
    `${w.verdict}: ${w[report.verdict.indication]} — ${verdictSentence(report, language)}`,
    '',
  ];
  if (report.signatures.length === 0) lines.push(w.noSignature, '');
  for (const signature of report.signatures) lines.push(...signatureBlock(signature, report, language), '');
  if (report.findings.length > 0) lines.push(`${w.findings}:`, ...report.findings.map((f) => `  - ${f.code}: ${f.message}`), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function verdictSentence(report: VerifyReport, language: ReportLanguage): string {
  if (language === 'en') return report.verdict.message;
  const count = report.signatures.length;
  switch (report.verdict.code) {
    case null:
      return `cả ${count} chữ ký đều hợp lệ, chứng thư được tin cậy, và tài liệu không bị sửa đổi trái phép sau khi ký.`;
    case 'TRUST_NOT_CHECKED':
      return 'nội dung còn nguyên vẹn, nhưng chưa kiểm tra chứng thư số của người ký có được tin cậy hay không (cần danh sách tổ chức chứng thực tin cậy).';
    case 'SIGNATURE_NOT_FOUND':
      return 'tệp không có chữ ký số.';
    case 'SIGNATURE_INVALID':
      return 'có chữ ký không hợp lệ, hoặc tài liệu đã bị sửa đổi sau khi ký. Không nên tin nội dung tệp này.';
    case 'SIGNATURE_INDETERMINATE':
      return 'chưa đủ căn cứ để xác nhận chữ ký hợp lệ; xem chi tiết bên dưới.';
    case 'REVOCATION_UNAVAILABLE':
      return 'nội dung còn nguyên vẹn, nhưng chưa xác định được chứng thư số có bị thu hồi hay không (tệp không mang đủ dữ liệu thu hồi và không hỏi được trực tuyến); hãy kiểm tra lại khi có kết nối mạng.';
    default:
      return `không đọc được tệp như một tài liệu PDF (${report.verdict.code}).`;
  }
}
