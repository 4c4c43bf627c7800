/** Moved to shared/ so the report export tiles images exactly as the screen does. */
export * from '../../shared/figures/images';
