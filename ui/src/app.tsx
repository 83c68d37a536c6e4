/** The page frame and the route switch. */
import { location, routeOf, type Route } from './router.js';
import { PlansPage } from './pages/plans-page.js';
import { RunPage } from './pages/run-page.js';
import { RunsPage } from './pages/runs-page.js';
import { StepPage } from './pages/step-page.js';
import { unreachable } from './status.js';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'runs':
      return <RunsPage />;
    case 'plans':
      return <PlansPage />;
    case 'run':
      return <RunPage runId={route.runId} />;
    case 'step':
      return <StepPage runId={route.runId} stepId={route.stepId} />;
    case 'not_found':
      return <p class="error">Nothing here. <a href="/">The runs</a>.</p>;
    default:
      return unreachable(route);
  }
}

export function App() {
  const route = routeOf(location.value.path);
  return (
    <>
      <header class="top">
        <a class="brand" href="/">
          engine
        </a>
        <nav>
          <a href="/" class={route.page === 'runs' ? 'active' : ''}>
            runs
          </a>
          <a href="/plans" class={route.page === 'plans' ? 'active' : ''}>
            plans
          </a>
        </nav>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}
