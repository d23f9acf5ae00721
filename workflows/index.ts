export { certificateLifecycle } from './certificateLifecycle.js';
export { ssoOnboarding } from './onboarding/workflow.js';
