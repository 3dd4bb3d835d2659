// The one-page A4 certificate a vendor hands out. It is a human-readable rendering of a signed
// certificate: the signature lives in the JSON (DSSE) certificate, which the QR code and the
// offline-verification line point to; nothing in this PDF is itself proof.
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage, type RGB } from 'pdf-lib';
import QRCode from 'qrcode';

export interface CertificatePdfView {
  certificateId: string;
  profileId: string;
  profileTitle: string;
  verdict: 'PASS';
  /** The issuing lab as the signed statement names it; undefined when a legacy one names none. */
  issuer: { name: string; url: string } | undefined;
  /** How old a signed status an offline verifier accepts, as the statement states it (null: legacy). */
  statusMaxAgeDays: number | null;
  /** Where `npubench trust add` fetches the keys when the statement names no issuer: this service. */
  serviceUrl: string;
  /** Who certified, in words (certifierLabel of the signed statement). */
  certifiedBy: string;
  /** The signed report the figures come from. */
  reportId: string;
  device: { name: string; slug: string; manufacturer: string; soc?: string | null; npu?: string | null };
  vendor: { name: string };
  model: { name: string; version: string; sha256: string };
  /** What was certified, e.g. "OCR text detection (PP-OCRv4 detector), closed division". */
  workload: string;
  /** e.g. "onnxruntime-node 1.30.0, EP cpu" */
  runtime: string;
  /** e.g. p90 latency, throughput, scenario, result */
  keyFigures: { label: string; value: string }[];
  issuedAt: Date;
  expiresAt: Date;
  /** RFC 7638 JWK thumbprint of the key that signed the certificate. */
  signingKeyId: string;
  /** What the QR code encodes. */
  verificationUrl: string;
  logIndex: number;
}

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 50;
const FOOTER_Y = 28;
const CONTENT_WIDTH = A4.width - 2 * MARGIN;
const LABEL_WIDTH = 100;
const VALUE_X = MARGIN + LABEL_WIDTH;
const VALUE_WIDTH = CONTENT_WIDTH - LABEL_WIDTH;
// A field that wraps past this many lines is cut with an ellipsis, so a pathological name cannot
// push the rest of the certificate off its single page.
const MAX_LINES_PER_FIELD = 3;
const QR_SIZE = 100;
const QR_X = A4.width - MARGIN - QR_SIZE;
// The certificate fields and verification steps share their section with the QR code on the right.
const BESIDE_QR_WIDTH = QR_X - 16 - MARGIN;
const FIGURE_LABEL_X = MARGIN + 8;
const FIGURE_LABEL_WIDTH = 180;
const FIGURE_VALUE_X = MARGIN + 200;
const FIGURE_VALUE_WIDTH = MARGIN + CONTENT_WIDTH - FIGURE_VALUE_X - 8;

const BODY_SIZE = 10;
const LINE_HEIGHT = 13;

const INK = rgb(0.11, 0.13, 0.17);
const MUTED = rgb(0.42, 0.45, 0.5);
const BRAND = rgb(0.09, 0.2, 0.36);
const RULE = rgb(0.82, 0.84, 0.87);
const STRIPE = rgb(0.95, 0.96, 0.97);
const PASS_GREEN = rgb(0.1, 0.5, 0.27);
const WHITE = rgb(1, 1, 1);

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  /** Code points the standard fonts can encode (WinAnsi); both faces share it. */
  encodable: ReadonlySet<number>;
}

/**
 * Renders the certificate as a single A4 page. The same view always yields the same bytes: document
 * dates come from `issuedAt` and pdf-lib writes no random ids.
 */
export async function renderCertificatePdf(view: CertificatePdfView): Promise<Buffer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const fonts: Fonts = { regular, bold, encodable: new Set(regular.getCharacterSet()) };

  // Metadata strings are UTF-16 in the PDF, so they keep the original text; only drawn text is sanitized.
  doc.setTitle(`npubench certificate ${view.certificateId}`);
  doc.setSubject(`${view.profileTitle} (${view.profileId}): ${view.device.name}`);
  doc.setAuthor(view.issuer?.name ?? 'npubench');
  doc.setCreator('npubench');
  doc.setProducer('npubench');
  doc.setLanguage('en');
  doc.setCreationDate(view.issuedAt);
  doc.setModificationDate(view.issuedAt);

  const page = doc.addPage([A4.width, A4.height]);
  let y = drawHeader(page, fonts, view);

  y = drawParagraph(
    page,
    fonts,
    toEncodable(
      // Only what the signed statement says: who issued, who certified, and which signed report measured it.
      view.issuer
        ? `${view.issuer.name} (${view.issuer.url}) certifies that the device below met every requirement of the certification profile ` +
            `"${view.profileTitle}" (${view.profileId}) in the run of signed report ${view.reportId}. Certified by ${view.certifiedBy}.`
        : `Legacy certificate: its signed statement (v1) names no issuer or certifier. It states that the device below met every requirement ` +
            `of the certification profile "${view.profileTitle}" (${view.profileId}) in the run of signed report ${view.reportId}.`,
      fonts.encodable,
    ),
    y,
  );

  y = drawSectionTitle(page, fonts, 'Device under test', y - 10);
  y = drawFields(page, fonts, y, [
    ['Device', `${view.device.name} (${view.device.slug})`],
    ['Manufacturer', view.device.manufacturer],
    // One line for both, so the workload line below keeps the page at one A4 sheet.
    ['SoC / NPU', `${view.device.soc ?? 'not stated'} / ${view.device.npu ?? 'not stated'}`],
    ['Vendor', view.vendor.name],
  ]);

  y = drawSectionTitle(page, fonts, 'Model and runtime', y - 10);
  y = drawFields(page, fonts, y, [
    ['Model', `${view.model.name} ${view.model.version}`],
    ['Model SHA-256', view.model.sha256],
    ['Workload', view.workload],
    ['Runtime', view.runtime],
  ]);

  y = drawSectionTitle(page, fonts, 'Key figures', y - 10);
  y = drawKeyFigures(page, fonts, y, view.keyFigures);

  y = drawSectionTitle(page, fonts, 'Certificate and verification', y - 10);
  const qrBottom = drawQrBlock(page, fonts, view.verificationUrl, y + BODY_SIZE);
  y = drawFields(
    page,
    fonts,
    y,
    [
      ['Certificate id', view.certificateId],
      ['Issued', `${isoDate(view.issuedAt)} (UTC)`],
      ['Expires', `${isoDate(view.expiresAt)} (UTC)`],
      ['Signing key id', view.signingKeyId],
      ['Transparency log', `entry ${view.logIndex}`],
      [
        'Status',
        view.statusMaxAgeDays === null
          ? 'legacy certificate: check revocation with npubench verify --online'
          : `cert.json carries a signed status; offline it is accepted for ${view.statusMaxAgeDays} days after download (npubench verify --max-status-age)`,
      ],
    ],
    BESIDE_QR_WIDTH - LABEL_WIDTH,
  );
  y = drawHowToVerify(page, fonts, y - 10, view.issuer?.url ?? view.serviceUrl);

  if (Math.min(y, qrBottom) < FOOTER_Y + 12) {
    throw new Error(
      `certificate ${view.certificateId} does not fit one A4 page (${view.keyFigures.length} key figures)`,
    );
  }
  drawFooter(page, fonts, view);

  return Buffer.from(await doc.save());
}

/** Replaces what WinAnsi cannot encode (CJK, emoji, ...) with '?', one per code point. */
function toEncodable(value: string, encodable: ReadonlySet<number>): string {
  let out = '';
  for (const char of value.normalize('NFC')) {
    if (/\s/u.test(char)) out += ' ';
    else out += encodable.has(char.codePointAt(0) ?? -1) ? char : '?';
  }
  return out;
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Title band with the verdict badge; returns the y below it. */
function drawHeader(page: PDFPage, fonts: Fonts, view: CertificatePdfView): number {
  const bandHeight = 80;
  const bandBottom = A4.height - bandHeight;
  page.drawRectangle({ x: 0, y: bandBottom, width: A4.width, height: bandHeight, color: BRAND });
  page.drawText('npubench certificate', {
    x: MARGIN,
    y: bandBottom + 40,
    size: 24,
    font: fonts.bold,
    color: WHITE,
  });
  page.drawText('NPU benchmark certification', {
    x: MARGIN,
    y: bandBottom + 21,
    size: 11,
    font: fonts.regular,
    color: rgb(0.8, 0.86, 0.93),
  });

  const badgeText = view.verdict;
  const badgeSize = 16;
  const badgeWidth = fonts.bold.widthOfTextAtSize(badgeText, badgeSize) + 36;
  const badgeHeight = 32;
  const badgeX = A4.width - MARGIN - badgeWidth;
  const badgeY = bandBottom + (bandHeight - badgeHeight) / 2;
  drawRoundedRect(page, badgeX, badgeY, badgeWidth, badgeHeight, 6, PASS_GREEN);
  page.drawText(badgeText, {
    x: badgeX + 18,
    y: badgeY + 10.5,
    size: badgeSize,
    font: fonts.bold,
    color: WHITE,
  });

  const profileY = bandBottom - 28;
  page.drawText(truncateToWidth(toEncodable(view.profileTitle, fonts.encodable), fonts.bold, 15, CONTENT_WIDTH), {
    x: MARGIN,
    y: profileY,
    size: 15,
    font: fonts.bold,
    color: INK,
  });
  page.drawText(truncateToWidth(`Profile ${toEncodable(view.profileId, fonts.encodable)}`, fonts.regular, 10, CONTENT_WIDTH), {
    x: MARGIN,
    y: profileY - 16,
    size: 10,
    font: fonts.regular,
    color: MUTED,
  });
  return profileY - 36;
}

function drawRoundedRect(page: PDFPage, x: number, y: number, width: number, height: number, r: number, color: RGB): void {
  // drawSvgPath puts the SVG origin at (x, y + height) with y growing downwards.
  const path =
    `M ${r} 0 H ${width - r} Q ${width} 0 ${width} ${r} V ${height - r} Q ${width} ${height} ${width - r} ${height} ` +
    `H ${r} Q 0 ${height} 0 ${height - r} V ${r} Q 0 0 ${r} 0 Z`;
  page.drawSvgPath(path, { x, y: y + height, color, borderWidth: 0 });
}

function drawParagraph(page: PDFPage, fonts: Fonts, value: string, top: number): number {
  let y = top;
  for (const line of wrapText(value, fonts.regular, BODY_SIZE, CONTENT_WIDTH)) {
    page.drawText(line, { x: MARGIN, y, size: BODY_SIZE, font: fonts.regular, color: INK });
    y -= LINE_HEIGHT;
  }
  return y;
}

function drawSectionTitle(page: PDFPage, fonts: Fonts, title: string, top: number): number {
  page.drawText(title.toUpperCase(), { x: MARGIN, y: top, size: 9, font: fonts.bold, color: BRAND });
  page.drawLine({
    start: { x: MARGIN, y: top - 5 },
    end: { x: MARGIN + CONTENT_WIDTH, y: top - 5 },
    thickness: 0.75,
    color: RULE,
  });
  return top - 20;
}

/** Label/value rows; values wrap within their column. Returns the y below the last row. */
function drawFields(
  page: PDFPage,
  fonts: Fonts,
  top: number,
  fields: [label: string, value: string][],
  valueWidth = VALUE_WIDTH,
): number {
  let y = top;
  for (const [label, value] of fields) {
    page.drawText(label, { x: MARGIN, y, size: BODY_SIZE, font: fonts.regular, color: MUTED });
    const lines = wrapText(toEncodable(value, fonts.encodable), fonts.bold, BODY_SIZE, valueWidth);
    for (const line of lines) {
      page.drawText(line, { x: VALUE_X, y, size: BODY_SIZE, font: fonts.bold, color: INK });
      y -= LINE_HEIGHT;
    }
  }
  return y;
}

function drawKeyFigures(page: PDFPage, fonts: Fonts, top: number, figures: CertificatePdfView['keyFigures']): number {
  // Tighter rows when quality, energy and accelerator figures join the latency ones.
  const padding = figures.length > 7 ? 2 : 4;
  let y = top;
  figures.forEach((figure, index) => {
    const labelLines = wrapText(toEncodable(figure.label, fonts.encodable), fonts.regular, BODY_SIZE, FIGURE_LABEL_WIDTH);
    const valueLines = wrapText(toEncodable(figure.value, fonts.encodable), fonts.bold, BODY_SIZE, FIGURE_VALUE_WIDTH);
    const rowLines = Math.max(labelLines.length, valueLines.length);
    const rowHeight = rowLines * LINE_HEIGHT + 2 * padding;
    const rowTop = y + BODY_SIZE + padding;
    if (index % 2 === 0) {
      page.drawRectangle({ x: MARGIN, y: rowTop - rowHeight, width: CONTENT_WIDTH, height: rowHeight, color: STRIPE });
    }
    labelLines.forEach((line, i) => {
      page.drawText(line, { x: FIGURE_LABEL_X, y: y - i * LINE_HEIGHT, size: BODY_SIZE, font: fonts.regular, color: INK });
    });
    valueLines.forEach((line, i) => {
      page.drawText(line, { x: FIGURE_VALUE_X, y: y - i * LINE_HEIGHT, size: BODY_SIZE, font: fonts.bold, color: INK });
    });
    y -= rowHeight;
  });
  return y;
}

/** The QR code to the verification URL at the right margin, the URL under it. Returns its bottom. */
function drawQrBlock(page: PDFPage, fonts: Fonts, url: string, top: number): number {
  drawQrCode(page, url, QR_X, top, QR_SIZE);
  let y = top - QR_SIZE - 10;
  for (const line of wrapText(toEncodable(url, fonts.encodable), fonts.regular, 7, QR_SIZE)) {
    page.drawText(line, { x: QR_X, y, size: 7, font: fonts.regular, color: MUTED });
    y -= 9;
  }
  return y;
}

/** Online and offline verification steps, left of the QR code. Returns the y below them. */
function drawHowToVerify(page: PDFPage, fonts: Fonts, top: number, issuerUrl: string): number {
  let y = top;
  const steps = [
    'Online: scan the QR code or open the address printed under it.',
    "Offline: download the signed certificate (cert.json), trust this lab's keys once (check the fingerprints it prints) and run",
  ];
  for (const line of steps.flatMap((step) => wrapText(step, fonts.regular, BODY_SIZE, BESIDE_QR_WIDTH))) {
    page.drawText(line, { x: MARGIN, y, size: BODY_SIZE, font: fonts.regular, color: INK });
    y -= LINE_HEIGHT;
  }
  y -= 6;
  // A verifier needs a trust root it chose: the lab's keys from the trust store, never the URLs in cert.json.
  const commands = [`npubench trust add ${issuerUrl}`, 'npubench verify cert.json'];
  const size = Math.max(6, Math.min(11, ...commands.map((c) => (11 * (BESIDE_QR_WIDTH - 16)) / fonts.bold.widthOfTextAtSize(c, 11))));
  const step = size + 5;
  page.drawRectangle({ x: MARGIN, y: y - 6 - step * (commands.length - 1), width: BESIDE_QR_WIDTH, height: 22 + step * (commands.length - 1), color: STRIPE });
  for (const command of commands) {
    page.drawText(command, { x: MARGIN + 8, y, size, font: fonts.bold, color: INK });
    y -= step;
  }
  y -= 26 - step;
  for (const line of wrapText(
    'This PDF is a readable copy; the signature that proves the result is in cert.json.',
    fonts.regular,
    8,
    BESIDE_QR_WIDTH,
  )) {
    page.drawText(line, { x: MARGIN, y, size: 8, font: fonts.regular, color: MUTED });
    y -= 10;
  }
  return y;
}

/**
 * Draws the QR modules as one vector path: crisp at any zoom, and no hairline seams between
 * neighbouring modules that separate rectangles can leave when rasterised.
 */
function drawQrCode(page: PDFPage, data: string, x: number, top: number, size: number): void {
  const { modules } = QRCode.create(data, { errorCorrectionLevel: 'M' });
  const count = modules.size;
  let path = '';
  for (let row = 0; row < count; row++) {
    let col = 0;
    while (col < count) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < count && modules.get(row, col)) col++;
      path += `M ${start} ${row} H ${col} V ${row + 1} H ${start} Z `;
    }
  }
  page.drawSvgPath(path, { x, y: top, scale: size / count, color: rgb(0, 0, 0), borderWidth: 0 });
}

function drawFooter(page: PDFPage, fonts: Fonts, view: CertificatePdfView): void {
  const footer = truncateToWidth(
    toEncodable(`npubench certificate ${view.certificateId} - issued ${isoDate(view.issuedAt)} UTC`, fonts.encodable),
    fonts.regular,
    8,
    CONTENT_WIDTH,
  );
  page.drawText(footer, { x: MARGIN, y: FOOTER_Y, size: 8, font: fonts.regular, color: MUTED });
}

/**
 * Greedy word wrap; a word wider than the column (a hash, a URL) is broken between characters.
 * At most MAX_LINES_PER_FIELD lines come back, the last one cut with an ellipsis if needed.
 */
function wrapText(value: string, font: PDFFont, size: number, maxWidth: number): string[] {
  const fits = (candidate: string): boolean => font.widthOfTextAtSize(candidate, size) <= maxWidth;
  const lines: string[] = [];
  let current = '';
  for (const word of value.split(' ').filter((w) => w.length > 0)) {
    const joined = current ? `${current} ${word}` : word;
    if (fits(joined)) {
      current = joined;
      continue;
    }
    if (current) lines.push(current);
    current = '';
    for (const char of word) {
      if (fits(current + char)) current += char;
      else {
        lines.push(current);
        current = char;
      }
    }
  }
  if (current || lines.length === 0) lines.push(current);
  if (lines.length <= MAX_LINES_PER_FIELD) return lines;
  const kept = lines.slice(0, MAX_LINES_PER_FIELD);
  kept[kept.length - 1] = withEllipsis(kept[kept.length - 1] ?? '', font, size, maxWidth);
  return kept;
}

function truncateToWidth(value: string, font: PDFFont, size: number, maxWidth: number): string {
  return font.widthOfTextAtSize(value, size) <= maxWidth ? value : withEllipsis(value, font, size, maxWidth);
}

/** Appends "...", dropping trailing characters until the result fits maxWidth. */
function withEllipsis(value: string, font: PDFFont, size: number, maxWidth: number): string {
  let kept = value;
  while (kept.length > 0 && font.widthOfTextAtSize(`${kept}...`, size) > maxWidth) kept = kept.slice(0, -1);
  return `${kept}...`;
}
