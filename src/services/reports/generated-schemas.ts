// The JSON Schemas published in docs/schemas, keyed by file name (kept in sync by a unit test).
import { reportPredicateJsonSchema } from './report-statement.js';

export const GENERATED_SCHEMAS: Record<string, () => unknown> = {
  'benchmark-report-predicate.v1.schema.json': reportPredicateJsonSchema,
};
