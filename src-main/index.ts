import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import * as path from 'node:path';
import { createCore, type Core } from './core/core';
import { installMenu } from './menu';
import { trustedPageFor } from './platform/app-origin';
import { registerIpcTransport } from './transports/ipc';
import {
  createMainWindow,
  guardWebContents,
  hardenSession,
  registerAppScheme,
  rendererUrl,
  serveAppScheme,
} from './window';

// Electron composition root: lifecycle, services, handlers, window. Everything
// the app does beyond this glue lives in the core and is tested through
// browser mode and the CLI.

const distDir = path.join(__dirname, '..', '..');
// The page every window shows and the only one trusted with the API; the dev
// server (npm run dev) only in an unpackaged app.
const pageUrl = rendererUrl(app.isPackaged);
const page = trustedPageFor(pageUrl);
// DevTools (window and menu) only while developing.
const devTools = !app.isPackaged;
let mainWindow: BrowserWindow | null = null;
let core: Core | null = null;

// Privileged schemes must be declared before the app is ready.
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.whenReady().then(start, (error: unknown) => fail(error));
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error('[main] start-up failed:', error);
  dialog.showErrorBox('VAE Studio could not start', message);
  app.exit(1);
}

function start(): void {
  try {
    const dataDir = process.env.VAE_STUDIO_DATA_DIR ?? app.getPath('userData');
    core = createCore({
      dataDir,
      shell: 'electron',
      version: app.getVersion(),
      choosePaths,
      // Asked for with --resume-sweeps (as `vae-studio serve` takes it) or VAE_STUDIO_RESUME_SWEEPS=1.
      resumeSweeps: process.argv.includes('--resume-sweeps') || process.env.VAE_STUDIO_RESUME_SWEEPS === '1',
    });
  } catch (error) {
    fail(error);
    return;
  }
  hardenSession(session.defaultSession);
  serveAppScheme(path.join(distDir, 'renderer'));
  registerIpcTransport({
    ipcMain,
    core,
    mainWindow: () => mainWindow,
    page,
    targets: () => (mainWindow ? [mainWindow.webContents] : []),
  });
  installMenu(() => mainWindow, { devTools });
  openWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
}

/** The system's open dialog, attached to the main window, for dataset import. */
async function choosePaths(kind: 'idx' | 'folder'): Promise<string[]> {
  const options: Electron.OpenDialogOptions =
    kind === 'folder'
      ? { title: 'Choose an image folder', properties: ['openDirectory'] }
      : // No extension filter: IDX files are usually named without one (train-images-idx3-ubyte).
        {
          title: 'Choose the IDX files (train and test images and labels)',
          properties: ['openFile', 'multiSelections'],
        };
  const result = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
}

function openWindow(): void {
  mainWindow = createMainWindow({
    rendererUrl: pageUrl,
    preloadPath: path.join(distDir, 'preload', 'preload.cjs'),
    devTools,
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

// Every web contents, not only the main window's, gets the navigation guards
// (the main window's get them twice: createMainWindow guards its own, and
// refusing twice is the same as once).
app.on('web-contents-created', (_event, contents) => guardWebContents(contents, page));

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Let the core mark a training run interrupted (resumable) and close the
// database before the process goes; quit again once that is done.
let closing = false;
app.on('before-quit', (event) => {
  if (!core || closing) return;
  closing = true;
  event.preventDefault();
  core.close().then(
    () => app.quit(),
    (error: unknown) => {
      console.error('[main] closing the core failed:', error);
      app.exit(1);
    },
  );
});
