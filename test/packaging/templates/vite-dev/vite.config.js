import driftline from '@driftline/runtime/vite';

export default { plugins: [driftline()] };
