export { ssoOnboarding } from './ssoOnboarding.js';
