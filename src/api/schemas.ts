// JSON schemas of the API (OpenAPI 3.1 is generated from them by @fastify/swagger). Response
// schemas name the fields clients rely on and let the rest through.

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details with mapsign\'s stable error code (docs/errors.md).',
  properties: {
    type: { type: 'string', examples: ['urn:mapsign:error:IDEMPOTENCY_KEY_REUSED'] },
    title: { type: 'string', description: 'Summary of the code, in Vietnamese' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'Stable error code' },
    message: { type: 'string' },
    requestId: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
  required: ['type', 'title', 'status', 'code', 'message', 'requestId'],
} as const;

export const errorResponses = (...statuses: number[]): Record<number, unknown> =>
  Object.fromEntries(statuses.map((status) => [status, { description: 'Problem details', content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } }]));

export const sheetMetadataSchema = {
  type: 'object',
  description: 'The archive\'s metadata contract (docs/archive.md).',
  properties: {
    dossierCode: { type: 'string', examples: ['000.00.31.H56-260715-0012'] },
    procedureCode: { type: 'string', examples: ['1.013823'] },
    procedureSuffix: { type: 'string', examples: ['H56'] },
    decisionRef: { type: ['string', 'null'] },
    documentKind: { type: 'string', enum: ['ban-do-dia-chinh', 'trich-luc', 'trich-do-dia-chinh', 'ban-do-hien-trang'] },
    province: { type: 'string' },
    commune: { type: 'string' },
    legacyDistrict: { type: ['string', 'null'] },
    sheetNumber: { type: 'string' },
    gridSheetNumber: { type: ['string', 'null'] },
    parcelNumbers: { type: 'array', items: { type: 'string' } },
    parcelIds: { type: 'array', items: { type: 'string' } },
    scale: { type: 'integer' },
    paperSize: { type: 'string', enum: ['A0', 'A1', 'A2', 'A3', 'A4'] },
    surveyUnit: { type: 'string' },
  },
  additionalProperties: true,
} as const;

/** A signature's visible stamp (docs/stamps.md, "Stamps of service signatures"). */
export const stampRequestSchema = {
  type: 'object',
  description:
    'Draw a visible stamp in the title block with this signature, from a role template of config/stamp-templates.json. ' +
    'An empty object takes the template named like the role (else the defaults), its box and corner, and a QR code of the sheet\'s verification URL `<MAPSIGN_PUBLIC_URL>/v/<public code>` when the service has a public URL. ' +
    'The signer\'s signature and seal images are those configured with its key. Absent: an invisible signature.',
  properties: {
    template: { type: 'string', description: 'Stamp template; an unknown one is refused (400 STAMP_TEMPLATE_UNKNOWN)', examples: ['so-nnmt', 'van-phong-dang-ky', 'ubnd-xa', 'don-vi-do-dac'] },
    box: {
      description: 'Box in millimetres from `corner`, as `mapsign sign --box x,y,w,h`: [x, y, width, height] or {x, y, width, height}',
      oneOf: [
        { type: 'array', minItems: 4, maxItems: 4, items: { type: 'number' } },
        { type: 'object', required: ['x', 'y', 'width', 'height'], properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } } },
      ],
      examples: [[10, 10, 98, 46]],
    },
    corner: { type: 'string', enum: ['br', 'bl', 'tr', 'tl'], description: 'Page corner the box is measured from, as the page is displayed (`mapsign sign --corner`)' },
    qr: { type: 'boolean', description: 'QR code of the verification URL; default true when MAPSIGN_PUBLIC_URL is set (true without it: 400)' },
  },
  additionalProperties: false,
} as const;

/** The JSON of the `request` part (documentation; checked in sign-request-body.ts). */
export const signRequestPartSchema = {
  type: 'object',
  required: ['signatures', 'sheets'],
  properties: {
    signatures: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      description: 'Signatures in signing order. With `signer` (a server-side key) the queue applies it; with only `role` it waits for a staff member holding that role.',
      items: { type: 'object', required: ['role'], properties: { role: { type: 'string' }, signer: { type: ['string', 'null'] }, stamp: stampRequestSchema } },
      examples: [[{ role: 'so-nnmt', signer: 'department-seal', stamp: { template: 'so-nnmt', corner: 'br' } }]],
    },
    sheets: {
      type: 'array',
      minItems: 1,
      items: {
        oneOf: [
          { type: 'object', required: ['part', 'metadata'], properties: { part: { type: 'string', description: 'Name of the file part' }, metadata: sheetMetadataSchema } },
          { type: 'object', required: ['sheetId'], properties: { sheetId: { type: 'integer', description: 'An archived sheet, for its next signature' } } },
        ],
      },
    },
    callbackUrl: { type: 'string', format: 'uri', description: 'Receives a Standard Webhooks message when the request finishes' },
  },
} as const;

export const signRequestUploadSchema = {
  type: 'object',
  required: ['request'],
  properties: {
    request: { ...signRequestPartSchema, description: 'JSON part (Content-Type application/json)' },
  },
  additionalProperties: { type: 'string', format: 'binary', description: 'One PDF per sheet, under the part name its sheet gives' },
} as const;

export const acceptedSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, status: { type: 'string' }, statusUrl: { type: 'string' } },
  required: ['id', 'status', 'statusUrl'],
} as const;

const errorObject = { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } }, additionalProperties: true } as const;

export const signRequestViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['processing', 'waiting-signature', 'completed', 'completed-with-errors', 'failed'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    progress: { type: 'number' },
    signatures: { type: 'array', items: { type: 'object', properties: { role: { type: 'string' }, signer: { type: ['string', 'null'] } } } },
    callbackUrl: { type: ['string', 'null'] },
    sheets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          part: { type: ['string', 'null'] },
          sourceSheetId: { type: ['integer', 'null'] },
          status: { type: 'string', enum: ['queued', 'signing', 'archiving', 'waiting-signature', 'done', 'failed'] },
          signaturesDone: { type: 'integer' },
          signaturesTotal: { type: 'integer' },
          progress: { type: 'number' },
          waitingForRole: { type: ['string', 'null'] },
          sheetId: { type: ['integer', 'null'] },
          revision: { type: ['integer', 'null'] },
          sha256: { type: ['string', 'null'] },
          size: { type: ['integer', 'null'] },
          fileUrl: { type: ['string', 'null'] },
          publicCode: { type: ['string', 'null'], description: 'The sheet\'s public code: the target of its QR code, /v/<code>' },
          signatures: { type: 'array', items: { type: 'object', additionalProperties: true } },
          error: errorObject,
        },
        additionalProperties: true,
      },
    },
    notification: { type: ['object', 'null'], additionalProperties: true },
  },
  additionalProperties: true,
} as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;

/** GET /v1/sheets/:id/audit: one sheet's entries of the hash-chained audit log. */
export const auditTrailSchema = {
  type: 'object',
  required: ['sheetId', 'items', 'nextAfter'],
  properties: {
    sheetId: { type: 'integer' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['seq', 'at', 'kind', 'actor', 'details', 'prevHash', 'hash'],
        properties: {
          seq: { type: 'integer', description: 'Place in the whole chain, from 1' },
          at: { type: 'string', format: 'date-time' },
          kind: { type: 'string', examples: ['received', 'signed', 'archived', 'verified', 'downloaded', 'metadata-changed'] },
          sheetId: { type: ['integer', 'null'] },
          sha256: { type: ['string', 'null'], description: 'The file the entry is about' },
          actor: { type: 'string', examples: ['system:portal', 'staff:an', 'mapsign-service'] },
          details: { type: 'object', additionalProperties: true, examples: [{ revision: 1, size: 120034, signatures: 1 }] },
          prevHash: { type: 'string', description: 'SHA-256 of the previous entry of the chain' },
          hash: { type: 'string', description: 'SHA-256 over this entry and prevHash' },
        },
      },
    },
    nextAfter: { type: ['integer', 'null'], description: 'Pass as `after` for the next page; null on the last page' },
  },
} as const;
