// The one error class of mapsign and the table of its stable codes. Every code maps once
// to an HTTP status, a CLI exit code (sysexits), whether a retry may help, and a summary
// in Vietnamese. This file is a leaf: it imports nothing, so every module may import it.

export interface ErrorCodeSpec {
  /** HTTP status the API answers with. */
  readonly http: number;
  /** CLI exit code, from sysexits.h. */
  readonly exit: number;
  /** Whether retrying the same operation later may succeed. */
  readonly retryable: boolean;
  /** One line in Vietnamese for reports and pages. */
  readonly summaryVi: string;
}

const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_NOINPUT = 66;
const EX_UNAVAILABLE = 69;
const EX_SOFTWARE = 70;
const EX_IOERR = 74;
const EX_TEMPFAIL = 75;
const EX_NOPERM = 77;
const EX_CONFIG = 78;

export const ERROR_CODES = {
  USAGE_INVALID: { http: 400, exit: EX_USAGE, retryable: false, summaryVi: 'Tham số không hợp lệ' },
  CONFIG_INVALID: { http: 500, exit: EX_CONFIG, retryable: false, summaryVi: 'Cấu hình không hợp lệ' },
  INPUT_NOT_FOUND: { http: 404, exit: EX_NOINPUT, retryable: false, summaryVi: 'Không tìm thấy tệp đầu vào' },
  OUTPUT_EXISTS: { http: 409, exit: EX_USAGE, retryable: false, summaryVi: 'Tệp đầu ra đã tồn tại' },
  IO_FAILED: { http: 500, exit: EX_IOERR, retryable: true, summaryVi: 'Lỗi đọc/ghi tệp' },
  INTERNAL_ERROR: { http: 500, exit: EX_SOFTWARE, retryable: false, summaryVi: 'Lỗi nội bộ' },

  PDF_NOT_PDF: { http: 415, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp không phải PDF' },
  PDF_MALFORMED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp PDF bị lỗi cấu trúc' },
  PDF_TRUNCATED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp PDF bị cắt cụt' },
  PDF_ENCRYPTED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp PDF được mã hóa, không thể ký' },
  PDF_XREF_LOOP: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Bảng tham chiếu chéo lặp vòng' },
  PDF_LIMIT_EXCEEDED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp PDF vượt giới hạn an toàn' },
  PDF_PAGE_NOT_FOUND: { http: 400, exit: EX_USAGE, retryable: false, summaryVi: 'Không có trang được chọn' },
  PDF_FIELD_EXISTS: { http: 409, exit: EX_DATAERR, retryable: false, summaryVi: 'Trường chữ ký đã tồn tại' },
  PDF_MODIFICATION_LOCKED: { http: 409, exit: EX_DATAERR, retryable: false, summaryVi: 'Tài liệu đã được chứng thực, không cho phép ký thêm' },
  PDF_PLACEHOLDER_TOO_SMALL: { http: 500, exit: EX_SOFTWARE, retryable: false, summaryVi: 'Vùng dành cho chữ ký quá nhỏ' },
  STAMP_OFF_PAGE: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Khung chữ ký hiển thị lớn hơn trang, không đặt được trên trang' },

  KEY_PASSWORD_WRONG: { http: 422, exit: EX_NOPERM, retryable: false, summaryVi: 'Sai mật khẩu khóa' },
  KEY_MALFORMED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp khóa không hợp lệ' },
  KEY_UNSUPPORTED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Loại khóa không được hỗ trợ' },
  KEY_SOURCE_UNAVAILABLE: { http: 503, exit: EX_UNAVAILABLE, retryable: true, summaryVi: 'Không kết nối được thiết bị ký' },
  KEY_USAGE_NOT_ALLOWED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chứng thư số không có mục đích ký' },

  CERT_EXPIRED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chứng thư số đã hết hạn' },
  CERT_NOT_YET_VALID: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chứng thư số chưa có hiệu lực' },
  CERT_REVOKED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chứng thư số đã bị thu hồi' },
  CERT_UNTRUSTED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chứng thư số không được tin cậy' },
  REVOCATION_UNAVAILABLE: { http: 503, exit: EX_TEMPFAIL, retryable: true, summaryVi: 'Không kiểm tra được tình trạng thu hồi' },
  TSA_UNAVAILABLE: { http: 503, exit: EX_TEMPFAIL, retryable: true, summaryVi: 'Không kết nối được máy chủ dấu thời gian' },
  TSA_RESPONSE_INVALID: { http: 503, exit: EX_UNAVAILABLE, retryable: true, summaryVi: 'Máy chủ dấu thời gian trả lời không hợp lệ' },

  CMS_MALFORMED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Dữ liệu chữ ký CMS không hợp lệ' },
  SIGNATURE_SELF_CHECK_FAILED: { http: 500, exit: EX_SOFTWARE, retryable: false, summaryVi: 'Chữ ký vừa tạo không kiểm tra được' },
  ARCHIVE_NOT_FOUND: { http: 404, exit: EX_NOINPUT, retryable: false, summaryVi: 'Không tìm thấy trong kho lưu trữ' },
  ARCHIVE_METADATA_INVALID: { http: 400, exit: EX_DATAERR, retryable: false, summaryVi: 'Thông tin mô tả tờ bản đồ không hợp lệ' },
  ARCHIVE_NOT_SIGNED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp không phải PDF đã ký số' },
  ARCHIVE_DUPLICATE: { http: 409, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp đã có trong kho lưu trữ' },
  ARCHIVE_REVISION_CONFLICT: { http: 409, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp không nối tiếp phiên bản đã lưu của tờ bản đồ' },
  ARCHIVE_TOO_LARGE: { http: 413, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp vượt quá dung lượng cho phép' },
  ARCHIVE_CORRUPT: { http: 500, exit: EX_DATAERR, retryable: false, summaryVi: 'Kho lưu trữ không nhất quán hoặc tệp bị hỏng' },
  CATALOG_UNAVAILABLE: { http: 503, exit: EX_UNAVAILABLE, retryable: true, summaryVi: 'Không kết nối được cơ sở dữ liệu danh mục' },
  AUDIT_TAMPERED: { http: 500, exit: EX_DATAERR, retryable: false, summaryVi: 'Nhật ký kiểm tra đã bị sửa, xóa hoặc đảo thứ tự' },
  DISK_FULL: { http: 503, exit: EX_IOERR, retryable: true, summaryVi: 'Hết dung lượng đĩa' },
  CERT_WEAK_ALGORITHM: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chứng thư số dùng thuật toán hoặc khóa không còn an toàn' },
  SIGNATURE_INVALID: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chữ ký số không hợp lệ hoặc tài liệu đã bị sửa đổi sau khi ký' },
  SIGNATURE_INDETERMINATE: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chưa đủ căn cứ để xác nhận chữ ký số hợp lệ' },
  SIGNATURE_NOT_FOUND: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp không có chữ ký số' },
  SIGNATURE_BYTE_RANGE_INVALID: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Vùng dữ liệu được ký (/ByteRange) không hợp lệ' },
  SIGNATURE_FORMAT_INVALID: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chữ ký không đúng định dạng' },
  SIGNATURE_UNSUPPORTED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Định dạng chữ ký chưa được hỗ trợ' },
  SIGNATURE_DIGEST_MISMATCH: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Nội dung đã bị thay đổi sau khi ký' },
  SIGNATURE_CRYPTO_FAILED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chữ ký không khớp với chứng thư số của người ký' },
  SIGNATURE_SIGNER_MISMATCH: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chứng thư số ghi trong chữ ký không phải chứng thư đã ký' },
  SIGNATURE_WEAK_ALGORITHM: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chữ ký dùng thuật toán băm không còn an toàn (SHA-1)' },
  SIGNATURE_DISALLOWED_CHANGES: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tài liệu bị sửa đổi không được phép sau khi ký' },
  TIMESTAMP_INVALID: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Dấu thời gian không hợp lệ' },
  TRUST_NOT_CHECKED: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Chưa kiểm tra chứng thư số với danh sách tổ chức chứng thực tin cậy' },
  PDF_REVISION_HIDDEN: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp có phiên bản bị che giấu khỏi lịch sử sửa đổi' },
  PDF_UNEXPLAINED_DATA: { http: 422, exit: EX_DATAERR, retryable: false, summaryVi: 'Có dữ liệu lạ nối thêm sau phiên bản cuối của tệp' },
  // The signing service (issue 6).
  AUTH_REQUIRED: { http: 401, exit: EX_NOPERM, retryable: false, summaryVi: 'Cần khóa truy cập hợp lệ' },
  AUTH_FORBIDDEN: { http: 403, exit: EX_NOPERM, retryable: false, summaryVi: 'Không có quyền thực hiện thao tác này' },
  RATE_LIMITED: { http: 429, exit: EX_TEMPFAIL, retryable: true, summaryVi: 'Quá nhiều yêu cầu, vui lòng thử lại sau' },
  IDEMPOTENCY_KEY_REQUIRED: { http: 400, exit: EX_USAGE, retryable: false, summaryVi: 'Thiếu tiêu đề Idempotency-Key' },
  IDEMPOTENCY_KEY_REUSED: { http: 409, exit: EX_DATAERR, retryable: false, summaryVi: 'Khóa Idempotency-Key đã được dùng cho một yêu cầu khác' },
  UPLOAD_TOO_LARGE: { http: 413, exit: EX_DATAERR, retryable: false, summaryVi: 'Tệp tải lên vượt quá dung lượng cho phép' },
  REQUEST_NOT_FOUND: { http: 404, exit: EX_NOINPUT, retryable: false, summaryVi: 'Không tìm thấy yêu cầu ký' },
  ROUTE_NOT_FOUND: { http: 404, exit: EX_USAGE, retryable: false, summaryVi: 'Không có địa chỉ này' },
  RANGE_NOT_SATISFIABLE: { http: 416, exit: EX_USAGE, retryable: false, summaryVi: 'Khoảng byte yêu cầu nằm ngoài tệp' },
  SIGNER_UNKNOWN: { http: 422, exit: EX_CONFIG, retryable: false, summaryVi: 'Không có khóa ký nào được cấu hình với tên này' },
  STAMP_TEMPLATE_UNKNOWN: { http: 400, exit: EX_USAGE, retryable: false, summaryVi: 'Không có mẫu dấu chữ ký (stamp template) với tên này' },
  TASK_NOT_AVAILABLE: { http: 409, exit: EX_DATAERR, retryable: false, summaryVi: 'Tờ bản đồ không còn chờ chữ ký này' },
  JOB_OUT_OF_ORDER: { http: 409, exit: EX_TEMPFAIL, retryable: true, summaryVi: 'Bước ký trước của tờ bản đồ chưa xong' },
  JOB_PAYLOAD_INVALID: { http: 500, exit: EX_SOFTWARE, retryable: false, summaryVi: 'Dữ liệu công việc trong hàng đợi không hợp lệ' },
  QUEUE_UNAVAILABLE: { http: 503, exit: EX_UNAVAILABLE, retryable: true, summaryVi: 'Không kết nối được hàng đợi công việc' },
  WEBHOOK_DELIVERY_FAILED: { http: 503, exit: EX_UNAVAILABLE, retryable: true, summaryVi: 'Không gửi được thông báo tới hệ thống hồ sơ' },
  CALLBACK_URL_REFUSED: { http: 400, exit: EX_NOPERM, retryable: false, summaryVi: 'Địa chỉ nhận thông báo (callbackUrl) trỏ vào mạng nội bộ hoặc địa chỉ không được phép' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export type ErrorDetails = Record<string, string | number | boolean | null | string[] | number[]>;

export interface MapsignErrorOptions {
  details?: ErrorDetails;
  cause?: unknown;
}

/** The error every mapsign module raises: a stable `code`, a message with the values involved, JSON-safe details. */
export class MapsignError extends Error {
  override readonly name = 'MapsignError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: MapsignErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get spec(): ErrorCodeSpec {
    return ERROR_CODES[this.code];
  }

  /** The form that crosses processes and HTTP; rebuilt by `fromJSON` on the code, never by `instanceof`. */
  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }

  static fromJSON(value: { code: string; message: string; details?: ErrorDetails }): MapsignError {
    const code = isErrorCode(value.code) ? value.code : 'INTERNAL_ERROR';
    return new MapsignError(code, value.message, { details: value.details ?? {} });
  }
}

/** Raised when a reserved `/Contents` gap cannot hold the CMS; carries both sizes so the caller can grow it. */
export class PlaceholderTooSmallError extends MapsignError {
  readonly required: number;
  readonly available: number;

  constructor(required: number, available: number) {
    super('PDF_PLACEHOLDER_TOO_SMALL', `signature needs ${required} bytes but ${available} are reserved`, {
      details: { required, available },
    });
    this.required = required;
    this.available = available;
  }
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export function isMapsignError(value: unknown, code?: ErrorCode): value is MapsignError {
  return value instanceof MapsignError && (code === undefined || value.code === code);
}

/** Translates Node's system errors (ENOENT, EACCES, …) at the file-system boundary. */
export function fromSystemError(error: unknown, path: string): MapsignError {
  if (error instanceof MapsignError) return error;
  const sysCode = (error as NodeJS.ErrnoException | undefined)?.code;
  if (sysCode === 'ENOENT') return new MapsignError('INPUT_NOT_FOUND', `no such file: ${path}`, { cause: error, details: { path } });
  if (sysCode === 'EEXIST') return new MapsignError('OUTPUT_EXISTS', `file exists: ${path}`, { cause: error, details: { path } });
  const reason = error instanceof Error ? error.message : String(error);
  return new MapsignError('IO_FAILED', `I/O error on ${path}: ${reason}`, { cause: error, details: { path, sysCode: sysCode ?? null } });
}
