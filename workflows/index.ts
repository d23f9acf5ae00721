export { ssoOnboarding } from './onboarding/workflow.js';
