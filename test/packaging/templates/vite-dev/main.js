import './scenario.js';
