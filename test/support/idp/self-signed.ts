export * from '../../../scripts/local/selfSigned.js';
