import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fashionMnistClassNames } from '../../shared/class-names';

/**
 * Datasets recognised by the MD5 of their published label files, so their class
 * names are known without the user typing them. The checksums are the ones the
 * dataset's README publishes for its gzip'd files
 * (https://github.com/zalandoresearch/fashion-mnist#get-the-data); files that were
 * unpacked or re-compressed have other bytes and are not recognised (give
 * `--class-names` or a labels.txt then).
 */
export const knownSets: readonly {
  name: string;
  trainLabelsMd5: string;
  testLabelsMd5: string;
  classNames: readonly string[];
}[] = [
  {
    name: 'Fashion-MNIST',
    trainLabelsMd5: '25c81989df183df01b3e8a0aad5dffbe',
    testLabelsMd5: 'bb300cfdad3c16e7a12a480ee83cd310',
    classNames: fashionMnistClassNames,
  },
];

// The published label files are tens of kilobytes; anything far larger is not one of them.
const MAX_HASHED_BYTES = 1024 * 1024;

async function md5OfSmallFile(path: string): Promise<string | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const { size } = await handle.stat();
    if (size > MAX_HASHED_BYTES) return null;
    const bytes = Buffer.alloc(size);
    await handle.read(bytes, 0, size, 0);
    return createHash('md5').update(bytes).digest('hex');
  } finally {
    await handle.close();
  }
}

/** The class names of a known dataset whose two label files these are, or `null`. */
export async function knownClassNames(files: {
  trainLabels: string;
  testLabels: string;
}): Promise<readonly string[] | null> {
  const [train, test] = await Promise.all([
    md5OfSmallFile(files.trainLabels),
    md5OfSmallFile(files.testLabels),
  ]);
  const known = knownSets.find((k) => k.trainLabelsMd5 === train && k.testLabelsMd5 === test);
  return known?.classNames ?? null;
}
