/* global document, localStorage, Node */
// The pages' words in Vietnamese (default) and English, and the language switch (kept in localStorage).

const WORDS = {
  vi: {
    title: 'Kiểm tra bản đồ địa chính đã ký số', staffTitle: 'Cán bộ: ký và tra cứu bản đồ', switchLang: 'English', switchLangLabel: 'Switch to English',
    intro: 'Chọn hoặc kéo thả tệp PDF tờ bản đồ bạn đang giữ. Hệ thống kiểm tra chữ ký số và cho biết tệp có đúng là bản đã ký hay không. Tệp không được lưu lại.',
    chooseFile: 'Tệp PDF tờ bản đồ', dropHere: 'hoặc kéo thả tệp vào đây', check: 'Kiểm tra', uploading: 'Đang tải lên…', checking: 'Đang kiểm tra chữ ký…',
    valid: 'Hợp lệ', invalid: 'Không hợp lệ', indeterminate: 'Không kiểm tra được',
    validText: 'Tệp còn nguyên như khi ký và mọi chữ ký đều hợp lệ.', invalidText: 'Không nên tin tệp này: ', indeterminateText: 'Chưa thể khẳng định tệp đáng tin: ',
    noSignature: 'Tệp không có chữ ký số nào.', signature: 'Chữ ký', docTimestamp: 'Dấu thời gian của tài liệu',
    signer: 'Người ký', organisation: 'Cơ quan, tổ chức', when: 'Thời điểm ký', proven: 'được chứng thực bằng dấu thời gian', claimed: 'do người ký tự khai, chưa có dấu thời gian chứng thực',
    certificate: 'Chứng thư số', certTrusted: 'hợp lệ, do tổ chức tin cậy cấp', certNotTrusted: 'không được tin cậy', certNotChecked: 'chưa được kiểm tra',
    revocation: 'Thu hồi', revGood: 'chưa bị thu hồi', revRevoked: 'ĐÃ BỊ THU HỒI', revUnknown: 'không xác định được', revNotChecked: 'chưa kiểm tra',
    content: 'Nội dung đã ký', intact: 'còn nguyên vẹn', altered: 'ĐÃ BỊ THAY ĐỔI sau khi ký',
    changes: 'Thay đổi sau khi ký', noChanges: 'Không có thay đổi nào sau chữ ký này.', allowedChanges: 'chỉ có thay đổi được phép (thêm chữ ký, dấu thời gian, dữ liệu kiểm tra)',
    disallowedChanges: 'thay đổi không được phép', reason: 'Lý do', downloadJson: 'Tải báo cáo JSON', file: 'Tệp', verdict: 'Kết luận',
    error: 'Không kiểm tra được tệp', tooMany: 'Bạn đã kiểm tra quá nhiều lần, vui lòng thử lại sau.',
    archived: 'Bản lưu trữ', archivedIntro: 'Thông tin tờ bản đồ theo mã QR, từ kho lưu trữ.', notFound: 'Không tìm thấy tờ bản đồ này trong kho lưu trữ.',
    sheetNo: 'Số tờ', parcels: 'Thửa', commune: 'Xã/phường', province: 'Tỉnh/thành phố', kind: 'Loại tài liệu', revision: 'Lần sửa', archivedAt: 'Lưu trữ lúc', hash: 'Mã băm SHA-256',
    compare: 'So sánh với bản của bạn', sameCopy: 'Bản của bạn trùng khớp với bản lưu trữ.', otherCopy: 'Bản của bạn KHÁC bản lưu trữ mới nhất.', storedReport: 'Kết quả kiểm tra đã lưu',
    login: 'Đăng nhập', logout: 'Đăng xuất', apiKey: 'Khóa API của cán bộ', loginHelp: 'Dán khóa msk_… được cấp cho bạn. Khóa chỉ được giữ trong phiên trình duyệt này.',
    tasks: 'Tờ bản đồ chờ tôi ký', noTasks: 'Không có tờ nào đang chờ.', selectAll: 'Chọn tất cả', signSelected: 'Ký các tờ đã chọn', signing: 'Đang ký…',
    select: 'Chọn', role: 'Vai trò', dossier: 'Hồ sơ', result: 'Kết quả', accepted: 'Đã nhận ký', signedDone: 'Đã ký xong', failed: 'Lỗi',
    search: 'Tra cứu kho lưu trữ', searchLabel: 'Tìm theo xã, tỉnh, số tờ, thửa, mã hồ sơ (gõ có dấu hay không dấu đều được)', searchButton: 'Tìm', noResults: 'Không tìm thấy kết quả.',
    open: 'Xem', download: 'Tải về', signatures: 'Chữ ký', revisions: 'Các lần sửa', back: 'Quay lại', status: 'Trạng thái', signedAt: 'Ký lúc', publicLink: 'Trang kiểm tra công khai', publicCode: 'Mã kiểm tra công khai', verificationUrl: 'Địa chỉ kiểm tra (mã QR)',
    filters: 'Bộ lọc', any: 'Tất cả', signerFilter: 'Người ký hoặc cơ quan ký', signedFrom: 'Ký từ ngày', signedTo: 'Đến ngày', sortBy: 'Sắp xếp',
    sortArchived: 'Mới lưu trữ trước', sortSigned: 'Mới ký trước', sortDossier: 'Theo mã hồ sơ', clearFilters: 'Xóa bộ lọc', resultsCount: 'kết quả', more: 'Xem thêm',
    dateOrder: 'Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.', loading: 'Đang tải…',
    statusArchived: 'Đã lưu trữ', statusVerified: 'Đã kiểm tra: hợp lệ', statusInvalid: 'Đã kiểm tra: không hợp lệ',
    'kind-ban-do-dia-chinh': 'Bản đồ địa chính', 'kind-trich-luc': 'Trích lục', 'kind-trich-do-dia-chinh': 'Trích đo địa chính', 'kind-ban-do-hien-trang': 'Bản đồ hiện trạng',
    backToList: 'Quay lại danh sách', sheetInfo: 'Thông tin tờ bản đồ', dossierCode: 'Mã số hồ sơ', procedure: 'Mã TTHC', decision: 'Số, ký hiệu quyết định',
    legacyDistrict: 'Huyện cũ', gridSheet: 'Số hiệu mảnh', parcelIds: 'Mã định danh thửa', scale: 'Tỷ lệ', paperSize: 'Khổ giấy', surveyUnit: 'Đơn vị đo đạc', size: 'Dung lượng',
    addedIn: 'Thêm ở lần sửa', padesLevel: 'Mức PAdES', serial: 'Số hiệu chứng thư', issuer: 'Tổ chức cấp chứng thư', timestamp: 'Dấu thời gian',
    audit: 'Nhật ký kiểm toán', auditIntro: 'Các mục chỉ được ghi thêm, mỗi mục móc nối với mục trước bằng mã băm: sửa, xóa hay đảo thứ tự đều bị phát hiện khi kiểm tra chuỗi.',
    seq: 'Số thứ tự', time: 'Thời điểm', event: 'Sự kiện', actor: 'Người hoặc hệ thống thực hiện', details: 'Chi tiết', entryHash: 'Mã băm', noAudit: 'Chưa có mục nào.',
    'ev-received': 'Tiếp nhận', 'ev-signed': 'Ký số', 'ev-archived': 'Lưu trữ', 'ev-verified': 'Kiểm tra chữ ký', 'ev-downloaded': 'Tải về', 'ev-metadata-changed': 'Sửa thông tin hồ sơ',
    fields: 'Trường', isValidWord: 'hợp lệ', isInvalidWord: 'không hợp lệ',
  },
  en: {
    title: 'Check a signed cadastral map', staffTitle: 'Staff: sign and search map sheets', switchLang: 'Tiếng Việt', switchLangLabel: 'Chuyển sang tiếng Việt',
    intro: 'Choose or drop the PDF map sheet you hold. Its digital signatures are checked and you learn whether it is the sheet that was signed. The file is not kept.',
    chooseFile: 'PDF map sheet', dropHere: 'or drop the file here', check: 'Check', uploading: 'Uploading…', checking: 'Checking signatures…',
    valid: 'Valid', invalid: 'Not valid', indeterminate: 'Cannot be checked',
    validText: 'The file is as it was signed and every signature is valid.', invalidText: 'Do not trust this file: ', indeterminateText: 'The file cannot be confirmed as trustworthy: ',
    noSignature: 'The file has no digital signature.', signature: 'Signature', docTimestamp: 'Document time-stamp',
    signer: 'Signed by', organisation: 'Organisation', when: 'Signed at', proven: 'proven by a time-stamp', claimed: 'as claimed by the signer, no time-stamp proves it',
    certificate: 'Certificate', certTrusted: 'valid, issued by a trusted authority', certNotTrusted: 'not trusted', certNotChecked: 'not checked',
    revocation: 'Revocation', revGood: 'not revoked', revRevoked: 'REVOKED', revUnknown: 'unknown', revNotChecked: 'not checked',
    content: 'Signed content', intact: 'intact', altered: 'CHANGED after signing',
    changes: 'Changes after signing', noChanges: 'Nothing changed after this signature.', allowedChanges: 'only allowed changes (signatures, time-stamps, validation data added)',
    disallowedChanges: 'changes that are not allowed', reason: 'Reason', downloadJson: 'Download the JSON report', file: 'File', verdict: 'Verdict',
    error: 'The file could not be checked', tooMany: 'Too many checks; please try again later.',
    archived: 'Archived sheet', archivedIntro: 'The sheet named by the QR code, from the archive.', notFound: 'This sheet is not in the archive.',
    sheetNo: 'Sheet', parcels: 'Parcels', commune: 'Commune', province: 'Province', kind: 'Document kind', revision: 'Revision', archivedAt: 'Archived at', hash: 'SHA-256',
    compare: 'Compare with your copy', sameCopy: 'Your copy is identical to the archived one.', otherCopy: 'Your copy DIFFERS from the latest archived one.', storedReport: 'Stored verification',
    login: 'Log in', logout: 'Log out', apiKey: 'Staff API key', loginHelp: 'Paste the msk_… key issued to you. It is kept only in this browser session.',
    tasks: 'Sheets waiting for my signature', noTasks: 'Nothing is waiting.', selectAll: 'Select all', signSelected: 'Sign the selected sheets', signing: 'Signing…',
    select: 'Select', role: 'Role', dossier: 'Dossier', result: 'Result', accepted: 'Taken for signing', signedDone: 'Signed', failed: 'Error',
    search: 'Search the archive', searchLabel: 'Search by commune, province, sheet, parcel, dossier code (with or without diacritics)', searchButton: 'Search', noResults: 'No results.',
    open: 'Open', download: 'Download', signatures: 'Signatures', revisions: 'Revisions', back: 'Back', status: 'Status', signedAt: 'Signed at', publicLink: 'Public verification page', publicCode: 'Public verification code', verificationUrl: 'Verification address (QR code)',
    filters: 'Filters', any: 'Any', signerFilter: 'Signer or signing organisation', signedFrom: 'Signed from', signedTo: 'Signed until', sortBy: 'Sort',
    sortArchived: 'Latest archived first', sortSigned: 'Latest signed first', sortDossier: 'By dossier code', clearFilters: 'Clear filters', resultsCount: 'results', more: 'Show more',
    dateOrder: 'The start date must be on or before the end date.', loading: 'Loading…',
    statusArchived: 'Archived', statusVerified: 'Checked: valid', statusInvalid: 'Checked: not valid',
    'kind-ban-do-dia-chinh': 'Cadastral map sheet', 'kind-trich-luc': 'Cadastral extract', 'kind-trich-do-dia-chinh': 'Field-survey extract', 'kind-ban-do-hien-trang': 'Current-state map',
    backToList: 'Back to the list', sheetInfo: 'About the sheet', dossierCode: 'Dossier code', procedure: 'Procedure code', decision: 'Decision reference',
    legacyDistrict: 'Former district', gridSheet: 'Grid sheet number', parcelIds: 'Parcel identifiers', scale: 'Scale', paperSize: 'Paper size', surveyUnit: 'Survey unit', size: 'Size',
    addedIn: 'Added in revision', padesLevel: 'PAdES level', serial: 'Certificate serial', issuer: 'Certificate issuer', timestamp: 'Time-stamp',
    audit: 'Audit trail', auditIntro: 'Entries are only ever appended, each chained to the previous one by its hash: an edit, removal or reordering shows when the chain is checked.',
    seq: 'Number', time: 'Time', event: 'Event', actor: 'Done by', details: 'Details', entryHash: 'Hash', noAudit: 'No entries yet.',
    'ev-received': 'Received', 'ev-signed': 'Signed', 'ev-archived': 'Archived', 'ev-verified': 'Signatures checked', 'ev-downloaded': 'Downloaded', 'ev-metadata-changed': 'Dossier details changed',
    fields: 'Fields', isValidWord: 'valid', isInvalidWord: 'not valid',
  },
};

export function lang() {
  return localStorage.getItem('mapsign-lang') === 'en' ? 'en' : 'vi';
}

export function t(key) {
  return WORDS[lang()][key] ?? WORDS.vi[key] ?? key;
}

/** Fills every [data-t] element, sets <html lang>, and wires the language button to `rerender`. */
export function applyWords(rerender) {
  document.documentElement.lang = lang();
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  const toggle = document.getElementById('lang');
  if (toggle) {
    toggle.textContent = t('switchLang');
    toggle.setAttribute('aria-label', t('switchLangLabel'));
    toggle.onclick = () => {
      localStorage.setItem('mapsign-lang', lang() === 'vi' ? 'en' : 'vi');
      applyWords(rerender);
      rerender();
    };
  }
}

/** An element with attributes and children (strings become text: nothing is parsed as HTML). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  return el;
}

/** Bytes in kB or MB, in the page's language. */
export function formatSize(bytes) {
  const locale = lang() === 'vi' ? 'vi-VN' : 'en-GB';
  if (bytes < 1_000_000) return `${(bytes / 1000).toLocaleString(locale, { maximumFractionDigits: 1 })} kB`;
  return `${(bytes / 1_000_000).toLocaleString(locale, { maximumFractionDigits: 1 })} MB`;
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'medium', timeStyle: 'medium' });
}
