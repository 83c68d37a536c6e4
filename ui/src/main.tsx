/** Entry point of the dashboard page (bundled by ui/build.mjs into dist/ui/app.js). */
import { render } from 'preact';
import { App } from './app.js';
import './style.css';

render(<App />, document.getElementById('app')!);
