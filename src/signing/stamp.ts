// Completes a visible stamp's fields from the signer's certificate and the signing time: the
// stamp says who signed ("Ký bởi: …") and when, in Vietnam time, as DOMAIN.md asks.

import { formatStampTime, type VisibleStampOptions } from '../pdf/index.js';
import type { CheckSignerResult } from './check-signer.js';

/**
 * {signerName} defaults to the certificate's common name (left out for an organisation's seal
 * certificate, whose common name is the organisation), {organisation} to its organisation (or
 * common name), and {signingTime} is always the signing time written to /M.
 */
export function completeStamp(stamp: VisibleStampOptions, signer: CheckSignerResult, signingTime: Date, utcOffsetMinutes?: number): VisibleStampOptions {
  const commonName = signer.commonName ?? undefined;
  const organisation = stamp.fields.organisation ?? signer.organization ?? commonName;
  const isSealCertificate = commonName !== undefined && commonName === signer.organization;
  return {
    ...stamp,
    fields: {
      ...stamp.fields,
      signerName: stamp.fields.signerName ?? (isSealCertificate ? undefined : commonName),
      organisation,
      signingTime: formatStampTime(signingTime, utcOffsetMinutes),
    },
  };
}
