/**
 * Registers tfjs' gradient functions. The Node entry of @tensorflow/tfjs-core
 * registers none (the browser build and @tensorflow/tfjs do); tfjs-layers'
 * Node bundle carries tfjs-core's whole gradient table and registers it with
 * the shared @tensorflow/tfjs-core on load, which is the only way to get it
 * from CommonJS without the full @tensorflow/tfjs package.
 */
import '@tensorflow/tfjs-layers';
