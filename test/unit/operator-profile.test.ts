import { describe, expect, it } from 'vitest';
import { profileOperators, summarizeOnnxRuntimeProfile } from '../../src/harness/profile/operator-profile.js';
import { resolveSuiteSpec } from '../../src/harness/suite-spec.js';
import { fixtureModel } from '../helpers/fixtures.js';

describe('operator profile', () => {
  it('aggregates kernel events per node, op type and provider', () => {
    const ev = (name: string, op: string, provider: string, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, dur, args: { op_name: op, provider } });
    const profile = summarizeOnnxRuntimeProfile(
      [
        ev('conv1', 'Conv', 'QNNExecutionProvider', 300),
        ev('conv1', 'Conv', 'QNNExecutionProvider', 100),
        ev('relu1', 'Relu', 'QNNExecutionProvider', 50),
        ev('gather', 'Gather', 'CPUExecutionProvider', 50),
        { cat: 'Session', name: 'model_run', dur: 9999 },
        { cat: 'Node', name: 'conv1_fence_before', dur: 1 },
      ],
      2,
    );
    expect(profile.totalKernelUs).toBe(500);
    expect(profile.byNode[0]).toEqual({ node: 'conv1', opType: 'Conv', provider: 'QNNExecutionProvider', totalUs: 400, meanUsPerIteration: 200, share: 0.8 });
    expect(profile.byOpType.map((o) => o.opType)).toEqual(['Conv', 'Relu', 'Gather']);
    expect(profile.providers).toEqual([
      { provider: 'QNNExecutionProvider', nodes: 2, share: 2 / 3 },
      { provider: 'CPUExecutionProvider', nodes: 1, share: 1 / 3 },
    ]);
  });

  it('profiles a real model with onnxruntime and names the provider of every node', async () => {
    const model = fixtureModel('tiny-cnn.onnx');
    const profile = await profileOperators(model, { executionProvider: 'cpu' }, resolveSuiteSpec({}), 5);
    expect(profile.iterations).toBe(5);
    expect(profile.totalKernelUs).toBeGreaterThan(0);
    expect(profile.providers).toEqual([{ provider: 'CPUExecutionProvider', nodes: expect.any(Number), share: 1 }]);
    expect(profile.byOpType.some((o) => o.opType === 'Conv')).toBe(true);
    const shares = profile.byOpType.reduce((sum, o) => sum + o.share, 0);
    expect(shares).toBeCloseTo(1, 9);
  });
});
