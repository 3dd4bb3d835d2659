import { useState, type ChangeEvent, type FormEvent } from 'react';
import { apiJson, postJson, type ApiError } from '../api';
import { Empty, ErrorState, KeyValues, Loaded, PageTitle, date, useAsync } from '../components';
import { Link } from '../router';
import { isLab, useSession } from '../session-context';
import { logLeafSchema, type LogEntryPage, type LogKey, type SignedTreeHead } from '../../../contracts/transparency';
import { attributeToIssuer, logKeyFromVkey, trustedKeysFromJwks, verifyCertificateBundle, type CertificateVerification } from '../../../lib/certificates/certificate-verifier';
import { certifierLabel, issuerLabel } from '../../../lib/certificates/certificate-issuer';

/** This service, the issuer whose keys (same-origin /.well-known/jwks.json and log key) the pages verify against. */
const thisIssuer = () => `this issuer (${window.location.origin})`;

/** This service's transparency log key (its vkey). */
const ownLogKey = async () => (await apiJson<LogKey>('/v1/transparency/log-key', { auth: false })).vkey;

/** Verifies against one issuer's keys only: the jwksUrl and verificationUrl inside a bundle are unsigned and never
 *  followed. Without a log key the log proof cannot be checked, and the verdict is INVALID (as in the CLI). */
async function verifyAgainstJwks(bundle: unknown, jwks: unknown, logVkey: string | undefined, issuer: string): Promise<CertificateVerification> {
  const logKey = logVkey === undefined ? undefined : await logKeyFromVkey(logVkey);
  return attributeToIssuer(await verifyCertificateBundle(bundle, await trustedKeysFromJwks(jwks), logKey), bundle, issuer);
}

export function VerificationResult({ result, keys }: { result: CertificateVerification; keys: string }) {
  const label = { valid: 'Valid', revoked: 'Revoked', expired: 'Expired', invalid: 'Invalid' }[result.status];
  return (
    <div className={`verification verification-${result.status}`} data-testid="verification">
      <p className={`badge big badge-${result.status}`} data-testid="verification-badge" role="status">
        {result.status === 'valid' ? '✔' : '✖'} {label}
      </p>
      <p className="muted small" data-testid="verification-keys">
        Checked in this browser with WebCrypto against the keys of {keys}; the server was not asked for a verdict, and no URL inside the certificate was followed.
      </p>
      <ul className="checks">
        {result.checks.map((c) => (
          <li key={c.check} className={c.ok ? 'ok' : 'bad'}>
            <strong>{c.check.replace('_', ' ')}</strong>: {c.ok ? 'passed' : 'failed'} — {c.detail}
          </li>
        ))}
      </ul>
      {result.rules && (
        <>
          <h3>Rules, re-evaluated in this browser over the facts the certificate carries</h3>
          <ul className="checks" data-testid="rule-recheck">
            {result.rules.map((r) => (
              <li key={r.rule} className={r.passed ? 'ok' : 'bad'}>
                <strong>{r.passed ? 'PASS' : 'FAIL'} {r.rule}</strong> — expected {r.expected}; measured {r.actual}
                {!r.passed && ` (${r.reason})`}
                {r.signedPassed !== undefined && r.signedPassed !== r.passed && ` — signed as ${r.signedPassed ? 'PASS' : 'FAIL'}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

export function CertificatePage({ id }: { id: string }) {
  const { me } = useSession();
  const [state, reload] = useAsync(async () => {
    const [bundle, jwks, logKey] = await Promise.all([apiJson<unknown>(`/v1/certificates/${id}`, { auth: false }), apiJson<unknown>('/.well-known/jwks.json', { auth: false }), ownLogKey()]);
    return { bundle, verification: await verifyAgainstJwks(bundle, jwks, logKey, thisIssuer()) };
  }, [id]);
  const [reason, setReason] = useState('');
  const [revokeError, setRevokeError] = useState<ApiError | null>(null);
  const revoke = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await postJson(`/v1/certificates/${id}/revoke`, { reason });
      setRevokeError(null);
      reload();
    } catch (err) {
      setRevokeError(err as ApiError);
    }
  };
  return (
    <Loaded value={state} what="certificate" retry={reload}>
      {({ verification }) => {
        const c = verification.certificate;
        return (
          <section>
            <PageTitle sub={c ? `${c.profile.title} (${c.profile.id})` : undefined}>Certificate {id.slice(0, 8)}</PageTitle>
            <VerificationResult result={verification} keys={thisIssuer()} />
            {c && (
              <div className="grid2">
                <KeyValues
                  rows={[
                    ['Model', `${c.model.name}@${c.model.version}`],
                    ['Device', <Link key="d" to={`/devices/${c.device.slug}`}>{c.device.name}</Link>],
                    ['Vendor', c.vendor.name],
                    ['Issued by', issuerLabel(c.issuer)],
                    ['Certified by', certifierLabel(c.certifier)],
                    ['Runtime', c.runtime],
                    ['Issued', date(c.issuedAt)],
                    ['Expires', date(c.expiresAt)],
                    ['Report', <Link key="r" to={`/reports/${c.report.id}`}>{c.report.id}</Link>],
                  ]}
                />
                <KeyValues rows={c.keyFigures.map((f) => [f.label, f.value] as [string, string])} />
              </div>
            )}
            <p className="actions">
              <a className="button" href={`/v1/certificates/${id}/pdf`} download>
                Download PDF
              </a>
              <a className="button" href={`/v1/certificates/${id}`} download={`certificate-${id}.json`}>
                Download cert.json
              </a>
              <Link to="/verify">Verify a certificate file…</Link>
            </p>
            {isLab(me) && verification.status !== 'revoked' && (
              <form className="inline-form" onSubmit={(e) => void revoke(e)} aria-label="Revoke this certificate">
                <label>
                  Revocation reason
                  <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} required />
                </label>
                <button type="submit" className="danger">
                  Revoke
                </button>
              </form>
            )}
            {revokeError && <ErrorState error={revokeError} />}
          </section>
        );
      }}
    </Loaded>
  );
}

export function VerifyPage() {
  const [text, setText] = useState('');
  const [jwksText, setJwksText] = useState('');
  const [logKeyText, setLogKeyText] = useState('');
  const [result, setResult] = useState<{ verification: CertificateVerification; keys: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) setText(await file.text());
  };
  const verify = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      let bundle: unknown;
      try {
        bundle = JSON.parse(text);
      } catch {
        throw new Error('The certificate is not valid JSON.');
      }
      // The keys: this service's own, or a key set the user pasted. Never the bundle's jwksUrl.
      // The log key likewise: this service's, or the one pasted (a pasted key set without one checks no log).
      let jwks: unknown;
      let logKey: string | undefined;
      let keys: string;
      if (jwksText.trim()) {
        try {
          jwks = JSON.parse(jwksText);
        } catch {
          throw new Error('The key set is not valid JSON.');
        }
        logKey = logKeyText.trim() || undefined;
        keys = 'the key set you pasted';
      } else {
        [jwks, logKey] = await Promise.all([apiJson<unknown>('/.well-known/jwks.json', { auth: false }), ownLogKey()]);
        keys = thisIssuer();
      }
      setResult({ verification: await verifyAgainstJwks(bundle, jwks, logKey, keys), keys });
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <PageTitle sub="Paste or upload a cert.json. The signature, expiry, transparency-log inclusion and revocation are checked here in your browser, against this service's keys: a certificate from another issuer does not verify here, and the URLs inside it are never followed.">Verify a certificate</PageTitle>
      <form onSubmit={(e) => void verify(e)} className="stack">
        <label>
          Certificate file
          <input type="file" accept="application/json,.json" onChange={(e) => void onFile(e)} />
        </label>
        <label>
          Certificate JSON
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={10} required spellCheck={false} data-testid="verify-input" />
        </label>
        <details>
          <summary>Use a key set you obtained yourself (optional)</summary>
          <label>
            JWKS JSON (default: this service's /.well-known/jwks.json)
            <textarea value={jwksText} onChange={(e) => setJwksText(e.target.value)} rows={5} spellCheck={false} />
          </label>
          <label>
            Transparency log key (the issuer's vkey from /v1/transparency/log-key; needed with a pasted key set)
            <input value={logKeyText} onChange={(e) => setLogKeyText(e.target.value)} spellCheck={false} />
          </label>
        </details>
        <button type="submit" disabled={busy}>
          {busy ? 'Verifying…' : 'Verify'}
        </button>
      </form>
      {problem && (
        <div className="state error" role="alert">
          <h2>Could not verify</h2>
          <p>{problem}</p>
        </div>
      )}
      {result && <VerificationResult result={result.verification} keys={result.keys} />}
    </section>
  );
}

/** When an entry was issued or revoked, from its decoded leaf (undefined if the leaf is not one of ours). */
const entryTime = (decoded: unknown) => {
  const leaf = logLeafSchema.safeParse(decoded);
  return leaf.success ? (leaf.data.entry.issuedAt ?? leaf.data.entry.revokedAt) : undefined;
};

export function TransparencyPage() {
  const [start, setStart] = useState(0);
  const [head, reloadHead] = useAsync(() => apiJson<SignedTreeHead>('/v1/transparency/tree-head', { auth: false }), []);
  const [entries, reload] = useAsync(() => apiJson<LogEntryPage>(`/v1/transparency/entries?start=${start}&limit=50`, { auth: false }), [start]);
  return (
    <section>
      <PageTitle sub="Append-only RFC 6962 log of every certificate issuance and revocation, under C2SP checkpoints signed by the log key (GET /v1/transparency/checkpoint; monitor it with npubench log monitor).">Transparency log</PageTitle>
      <Loaded value={head} what="tree head" retry={reloadHead}>
        {(h) => (
          <KeyValues
            rows={[
              ['Origin', <code key="o">{h.treeHead.origin}</code>],
              ['Tree size', String(h.treeHead.treeSize)],
              ['Root hash', <code key="r" className="hash">{h.treeHead.rootHash}</code>],
              ['Published', date(h.publishedAt)],
              ['Checkpoint', <pre key="c" className="hash" data-testid="checkpoint">{h.checkpoint}</pre>],
            ]}
          />
        )}
      </Loaded>
      <Loaded value={entries} what="log entries" retry={reload}>
        {({ entries: rows }) =>
          rows.length === 0 ? (
            <Empty title={start === 0 ? 'The log is empty' : 'No more entries'}>
              <p>{start === 0 ? 'Entries appear when the lab issues the first certificate.' : ''}</p>
            </Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="log-table">
                <thead>
                  <tr>
                    <th scope="col">Index</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Certificate</th>
                    <th scope="col">When</th>
                    <th scope="col">Leaf hash</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => (
                    <tr key={e.index}>
                      <td>{e.index}</td>
                      <td>{e.kind}</td>
                      <td>
                        <Link to={`/certificates/${e.certificateId}`}>{e.certificateId.slice(0, 8)}</Link>
                      </td>
                      <td>{date(entryTime(e.decoded))}</td>
                      <td>
                        <code className="hash">{e.leafHash.slice(0, 16)}…</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <p className="actions">
        <button type="button" disabled={start === 0} onClick={() => setStart(Math.max(0, start - 50))}>
          Previous
        </button>
        <button type="button" disabled={entries.state !== 'ready' || entries.data.entries.length < 50} onClick={() => setStart(start + 50)}>
          Next
        </button>
      </p>
    </section>
  );
}

