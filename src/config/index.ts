/** Configuration: `loadConfig(env)` and the types of each section. */
export { DEFAULT_CONFIG_FILE, loadConfig, type LoadConfigOptions } from './load.js';
export {
  ActionsConfigSchema,
  CommandActionConfigSchema,
  ConfigFileSchema,
  HttpActionConfigSchema,
  RosterUserSchema,
  RunbooksConfigSchema,
  TemporalConfigSchema,
  UsersSchema,
  type ActionsConfig,
  type CommandActionConfig,
  type ConfigFile,
  type FirebreakConfig,
  type HttpActionConfig,
  type RosterUser,
  type TemporalConfig,
} from './schema.js';
