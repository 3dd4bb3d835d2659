import { lazy, Suspense, type ReactNode } from 'react';
import { Link, match, useLocation } from './router';
import { isLab, useSession } from './session-context';
import { Empty, Loading } from './components';
import { LeaderboardPage } from './pages/leaderboard';

// Everything but the leaderboard (the landing page) loads on demand, so the first paint carries no charts.
const lazyNamed = <K extends string>(load: () => Promise<Record<K, () => ReactNode>>, name: K) => lazy(() => load().then((m) => ({ default: m[name] })));
const DevicesPage = lazyNamed(() => import('./pages/devices'), 'DevicesPage');
const DevicePage = lazy(() => import('./pages/devices').then((m) => ({ default: m.DevicePage })));
const ReportPage = lazy(() => import('./pages/report').then((m) => ({ default: m.ReportPage })));
const ComparePage = lazyNamed(() => import('./pages/report'), 'ComparePage');
const CertificatePage = lazy(() => import('./pages/certificates').then((m) => ({ default: m.CertificatePage })));
const VerifyPage = lazyNamed(() => import('./pages/certificates'), 'VerifyPage');
const TransparencyPage = lazyNamed(() => import('./pages/certificates'), 'TransparencyPage');
const LoginPage = lazyNamed(() => import('./pages/vendor'), 'LoginPage');
const ModelsPage = lazyNamed(() => import('./pages/vendor'), 'ModelsPage');
const JobsPage = lazyNamed(() => import('./pages/vendor'), 'JobsPage');
const SubmitPage = lazyNamed(() => import('./pages/vendor'), 'SubmitPage');
const CompressionPage = lazyNamed(() => import('./pages/compression'), 'CompressionPage');
const LabPage = lazyNamed(() => import('./pages/lab'), 'LabPage');
const SuitesPage = lazyNamed(() => import('./pages/suites'), 'SuitesPage');
const NewSuiteRunPage = lazyNamed(() => import('./pages/suite-runs'), 'NewSuiteRunPage');
const SuiteRunPage = lazy(() => import('./pages/suite-runs').then((m) => ({ default: m.SuiteRunPage })));

function Page() {
  const { path } = useLocation();
  const { me, checking } = useSession();
  const needs = (allowed: boolean, page: ReactNode) => {
    if (checking) return <Loading what="your session" />;
    if (!me)
      return (
        <Empty title="Sign in needed">
          <p>
            This page needs an API key. <Link to={`/login?next=${encodeURIComponent(path)}`}>Sign in</Link>
          </p>
        </Empty>
      );
    if (!allowed)
      return (
        <Empty title="Not allowed">
          <p>Your key's role ({me.role.toLowerCase()}) may not open this page.</p>
        </Empty>
      );
    return page;
  };
  let p: Record<string, string> | null;
  if (path === '/' || path === '') return <LeaderboardPage />;
  if (path === '/devices') return <DevicesPage />;
  if ((p = match('/devices/:slug', path))) return <DevicePage slug={p.slug!} />;
  if ((p = match('/reports/:id', path))) return <ReportPage id={p.id!} />;
  if ((p = match('/certificates/:id', path))) return <CertificatePage id={p.id!} />;
  if (path === '/verify') return <VerifyPage />;
  if (path === '/transparency') return <TransparencyPage />;
  if (path === '/suites') return <SuitesPage />;
  if (path === '/login') return <LoginPage />;
  if (path === '/compare') return <ComparePage />;
  if (path === '/vendor/models') return needs(true, <ModelsPage />);
  if (path === '/vendor/jobs') return needs(true, <JobsPage />);
  if (path === '/vendor/submit') return needs(true, <SubmitPage />);
  if (path === '/vendor/compression') return needs(true, <CompressionPage />);
  if (path === '/vendor/suite-runs/new') return needs(true, <NewSuiteRunPage />);
  if ((p = match('/vendor/suite-runs/:id', path))) return needs(true, <SuiteRunPage id={p.id!} />);
  if (path === '/lab') return needs(isLab(me), <LabPage />);
  return (
    <Empty title="Page not found">
      <p>
        <Link to="/">Back to the leaderboard</Link>
      </p>
    </Empty>
  );
}

export function App() {
  const { me, signOut } = useSession();
  const { path } = useLocation();
  const nav: [string, string][] = [
    ['/', 'Leaderboard'],
    ['/devices', 'Devices'],
    ['/suites', 'Suites'],
    ['/verify', 'Verify'],
    ['/transparency', 'Transparency log'],
    ...(me ? ([['/vendor/models', 'My models'], ['/vendor/jobs', 'My jobs'], ['/vendor/submit', 'Submit'], ['/compare', 'Compare'], ['/vendor/compression', 'Compression']] as [string, string][]) : []),
    ...(isLab(me) ? ([['/lab', 'Lab']] as [string, string][]) : []),
  ];
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          npubench
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map(([to, label]) => (
              <li key={to}>
                <Link to={to} aria-current={path === to ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            ))}
            <li>
              {me ? (
                <button type="button" className="link" onClick={signOut} title={`${me.org.name} (${me.role.toLowerCase()})`}>
                  Sign out
                </button>
              ) : (
                <Link to="/login">Sign in</Link>
              )}
            </li>
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="page" />}>
          <Page />
        </Suspense>
      </main>
    </>
  );
}
