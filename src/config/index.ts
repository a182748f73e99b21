/** Configuration: `loadConfig(env)` and the types of each section. */
export { configBaseDir, DEFAULT_CONFIG_FILE, loadConfig, type LoadConfigOptions } from './load.js';
export {
  AccessConfigSchema,
  ActionsConfigSchema,
  ApiConfigSchema,
  CommandActionConfigSchema,
  ConfigFileSchema,
  HttpActionConfigSchema,
  RosterUserSchema,
  RunbooksConfigSchema,
  TemplatesConfigSchema,
  TemporalConfigSchema,
  UsersSchema,
  WebhookRouteSchema,
  WebhooksConfigSchema,
  type AccessConfig,
  type ActionsConfig,
  type ApiConfig,
  type CommandActionConfig,
  type ConfigFile,
  type FirebreakConfig,
  type HttpActionConfig,
  type RosterUser,
  type TemporalConfig,
  type WebhookRoute,
  type WebhooksConfig,
} from './schema.js';
export {
  ChannelsConfigSchema,
  EmailChannelConfigSchema,
  ENDPOINT_NAME,
  SmtpConfigSchema,
  StatusPageConfigSchema,
  WebhookChannelConfigSchema,
  WebhookEndpointConfigSchema,
  type ChannelsConfig,
  type EmailChannelConfig,
  type SmtpConfig,
  type StatusPageConfig,
  type WebhookChannelConfig,
  type WebhookEndpointConfig,
} from './channels-schema.js';
export {
  FsStorageConfigSchema,
  S3StorageConfigSchema,
  STORAGE_TYPES,
  StorageConfigSchema,
  type FsStorageConfig,
  type S3StorageConfig,
  type StorageConfig,
} from './storage-schema.js';
export {
  BackupsConfigSchema,
  DirectorySourceConfigSchema,
  PostgresSourceConfigSchema,
  RestoreTargetsConfigSchema,
  type BackupsConfig,
} from './backups-schema.js';
export { PostmortemsConfigSchema, type PostmortemsConfig } from './postmortems-schema.js';
export { reviewRemindersOf, type ReviewRemindersConfig } from './postmortems-schema.js';
export { StoreConfigSchema, type StoreConfig } from './store-schema.js';
export {
  DockerProviderConfigSchema,
  INFRA_PROVIDER_NAME,
  InfraConfigSchema,
  type DockerProviderConfig,
  type InfraConfig,
  type InfraProviderConfig,
} from './infra-schema.js';
