import {
  architectures,
  backendChoices,
  boundsText,
  hiddenLayerLimits,
  hyperparamFields,
  hyperparamFlags,
  presetIds,
  presets,
  type Hyperparams,
  type NumberField,
} from '../../shared/hyperparams';

/**
 * The options of `vae-studio train`, written from the hyperparameter table
 * (shared/hyperparams.ts): its flags, limits and the default preset's values,
 * so the help cannot disagree with what the parser and the schema accept.
 */

const indent = '      ';
const flagColumn = 20;

function option(flag: string, text: string): string {
  return `${indent}${flag.padEnd(flagColumn - 2)}  ${text}`;
}

/** `a (default) | b | c`, the default first. */
function choices(values: readonly string[], chosen: string): string {
  return [`${chosen} (default)`, ...values.filter((v) => v !== chosen)].join(' | ');
}

/** "Latent dimension" → "latent dimension", the case of the other options' descriptions; "KL …" stays. */
function lowerFirst(text: string): string {
  const acronym = /^\p{Lu}{2}/u.test(text);
  return acronym ? text : text.charAt(0).toLowerCase() + text.slice(1);
}

/** The lines of `train`'s options, each ending with a newline. */
export function trainOptionsHelp(): string {
  // The first preset is the default one (shared/hyperparams.ts).
  const preset = presets[0]!;
  const defaults = preset.hyperparams;
  const flag = (key: keyof Hyperparams) => `--${hyperparamFlags[key]}`;
  const { minLayers, maxLayers, minUnits, maxUnits } = hiddenLayerLimits;
  const lines = [
    option('--preset P', choices(presetIds, preset.id)),
    option(`${flag('dataset')} NAME`, `${defaults.dataset} (default) or an imported dataset`),
    option(`${flag('arch')} A`, choices(architectures, defaults.arch)),
    option(
      `${flag('hidden')} N[,N…]`,
      `hidden layer sizes (conv: dense units), ${minLayers} to ${maxLayers} layers ` +
        `of ${minUnits} to ${maxUnits} units (default ${defaults.hidden.join(',')})`,
    ),
    ...(Object.keys(hyperparamFields) as (keyof typeof hyperparamFields)[]).map((key) => {
      const field: NumberField = hyperparamFields[key];
      const value = defaults[key];
      const label = lowerFirst(field.label);
      const limit = field.nullable && !field.whenEmpty;
      const what = limit ? `${label}: use only the first N,` : `${label},`;
      return option(
        `${flag(key)} ${field.kind === 'int' ? 'N' : 'X'}`,
        `${what} ${boundsText(field)} (default ${value === null ? (field.whenEmpty ?? 'all') : value})`,
      );
    }),
    option('--backend B', choices(backendChoices, 'auto')),
    option('--name TEXT', 'a name for the run'),
    `${indent}Defaults are the ${preset.id} preset's; --preset picks others, flags override it.`,
  ];
  return lines.map((line) => `${line}\n`).join('');
}
