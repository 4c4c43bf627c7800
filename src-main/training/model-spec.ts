// The plan is pure and the renderer needs it too (the New run form's parameter
// count), so it lives in shared/; the engine's modules keep importing it here.
export * from '../../shared/model-spec';
