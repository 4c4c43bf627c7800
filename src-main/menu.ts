import { Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  /** Offer "Toggle Developer Tools": in development only, never in a packaged build. */
  devTools: boolean;
}

/** Application menu: the usual roles plus the app's views (the renderer routes by hash). */
export function installMenu(getWindow: () => BrowserWindow | null, { devTools }: MenuOptions): void {
  const go = (route: string) => () => {
    const window = getWindow();
    if (window) void window.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#${route}`)}`);
  };
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Run', accelerator: 'CmdOrCtrl+N', click: go('/new') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'New Run', accelerator: 'CmdOrCtrl+1', click: go('/new') },
        { label: 'Runs', accelerator: 'CmdOrCtrl+2', click: go('/runs') },
        { label: 'Compare', accelerator: 'CmdOrCtrl+3', click: go('/compare') },
        { label: 'About', click: go('/about') },
        { type: 'separator' },
        { role: 'reload' },
        ...(devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: 'VAE Studio on the web',
          click: () => void shell.openExternal('https://www.npmjs.com/package/vae-studio'),
        },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
