/** Moved to shared/ so the report export draws with the same maps, palette and ticks as the screen. */
export * from '../../shared/figures/colormaps';
