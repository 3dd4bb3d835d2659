// Divisions (#17): closed is a published suite's reference model (every one of its pinned files, by
// sha256) or a model that declares itself derived from one (variantOf = the sha256 of the reference's
// ONNX file, with the technique). Anything else is open. The division is a label from the declared
// lineage; whether a closed model meets its workload's quality target is measured, not declared.
import { getSuite, listSuites } from '../suites/suite-catalog.js';

interface ReferenceFiles {
  suiteWorkload: string;
  sha256s: string[];
}

let references: ReferenceFiles[] | undefined;

function publishedReferences(): ReferenceFiles[] {
  references ??= listSuites().items.flatMap((item) =>
    getSuite(item.id).workloads.map((w) => ({ suiteWorkload: `${item.id}/${w.id}`, sha256s: w.referenceModel.files.map((f) => f.sha256) })),
  );
  return references;
}

export function divisionOf(model: { files: readonly { sha256: string }[]; variantOf: string | undefined }): { division: 'closed' | 'open'; suiteWorkload: string | null } {
  const own = new Set(model.files.map((f) => f.sha256));
  const isReference = publishedReferences().find((r) => r.sha256s.every((d) => own.has(d)));
  if (isReference) return { division: 'closed', suiteWorkload: isReference.suiteWorkload };
  const derivedFrom = model.variantOf === undefined ? undefined : publishedReferences().find((r) => r.sha256s[0] === model.variantOf);
  return derivedFrom ? { division: 'closed', suiteWorkload: derivedFrom.suiteWorkload } : { division: 'open', suiteWorkload: null };
}
