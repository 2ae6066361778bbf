// Visible stamps of service signatures: what a request asks for (`stamp` of a signature entry),
// and the stamp options the sign-sheet processor gives signPdf, from the role's template, the
// signer's images and the sheet's verification URL `<public URL>/v/<public code>` for the QR code.

import { MapsignError } from '../errors.js';
import type { SignPdfOptions } from '../signing/index.js';

type VisibleStamp = NonNullable<SignPdfOptions['stamp']>;

export type StampCornerName = NonNullable<VisibleStamp['corner']>;

export const STAMP_CORNER_NAMES: readonly StampCornerName[] = ['br', 'bl', 'tr', 'tl'];

/** A stamp box in millimetres from its corner of the page as displayed. */
export interface StampBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The visible stamp a signature of a request asks for, its defaults already applied. */
export interface StampSpec {
  /** Stamp template (config/stamp-templates.json); null: the file's defaults. */
  template: string | null;
  /** Box over the template's, as `mapsign sign --box`. */
  box: StampBox | null;
  /** Corner over the template's, as `mapsign sign --corner`. */
  corner: StampCornerName | null;
  /** A QR code of the sheet's verification URL. */
  qr: boolean;
}

/** One template as the service needs it (structurally the pdf module's StampTemplate). */
export interface ServiceStampTemplate {
  label: string;
  corner: StampCornerName;
  box: VisibleStamp['box'];
  authority?: string;
  title?: string;
  lines: VisibleStamp['lines'];
}

/** The stamp templates the service loaded (MAPSIGN_STAMP_TEMPLATES or config/stamp-templates.json). */
export interface ServiceStampTemplates {
  defaults: ServiceStampTemplate;
  templates: Record<string, ServiceStampTemplate>;
  /** Other names of templates (alias → template name). */
  aliases?: Record<string, string>;
}

/** A signer's stamp images (PNG bytes), from its key's configuration. */
export interface StampImages {
  signatureImage?: Uint8Array;
  sealImage?: Uint8Array;
}

export interface BuildServiceStampOptions {
  spec: StampSpec;
  templates: ServiceStampTemplates;
  images: StampImages;
  dossierCode: string;
  /** `<public URL>/v/<code>`; required when `spec.qr`. */
  verificationUrl: string | null;
}

/** The stamp options of signPdf: the template's lines and fields, the request's box and corner over the template's. */
export function buildServiceStamp(options: BuildServiceStampOptions): VisibleStamp {
  const { spec, templates } = options;
  const template = spec.template === null ? templates.defaults : templates.templates[templates.aliases?.[spec.template] ?? spec.template];
  if (!template) {
    // Accepted by the API, gone from this worker's templates file since.
    throw new MapsignError('STAMP_TEMPLATE_UNKNOWN', `no stamp template ${JSON.stringify(spec.template)} in the service's stamp templates`, { details: { template: spec.template } });
  }
  return {
    box: spec.box ?? template.box,
    corner: spec.corner ?? template.corner,
    lines: template.lines,
    fields: {
      role: template.label || undefined,
      authority: template.authority,
      title: template.title,
      dossierCode: options.dossierCode,
    },
    ...(options.images.signatureImage ? { signatureImage: options.images.signatureImage } : {}),
    ...(options.images.sealImage ? { sealImage: options.images.sealImage } : {}),
    ...(spec.qr && options.verificationUrl ? { qrText: options.verificationUrl } : {}),
  };
}

/** The verification page of a sheet: `<publicUrl>/v/<code>`. */
export function verificationUrlOf(publicUrl: string, publicCode: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/v/${publicCode}`;
}
