/** Message templating: one isolated strict Handlebars environment, helpers, the accuracy guard, fingerprints. */
export { CHANNEL_PARTS, createEnvironment, isChannel, loadTemplateDirs, loadTemplates } from './catalog.js';
export type { Channel, CompiledTemplate, PartialSets, TemplateCatalog } from './catalog.js';
export type { MessageContext } from './context.js';
export { TemplateError } from './errors.js';
export type { TemplateErrorCode, TemplateProblem } from './errors.js';
export { formatDate, formatList, formatNumber, formatPlural } from './helpers.js';
export { fingerprintOf, renderMessage } from './render.js';
export type { RenderedMessage } from './render.js';
export { variablesOf } from './variables.js';
export type { HasAst } from './variables.js';
export { compileEmbedded, contentHashOf, embedMessage, renderEmbedded } from './embedded.js';
export type { EmbedProblem } from './embedded.js';
