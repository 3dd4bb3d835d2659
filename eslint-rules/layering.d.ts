// Types for the test that imports the rule (test/unit/layering-lint.test.ts).
import type { Linter } from 'eslint';

export declare const LAYERING_RULE: 'npubench/layering';
export declare const layeringConfig: Linter.Config;
