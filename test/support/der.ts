export * from '../../scripts/local/der.js';
