/** Compute and disk offerings: see common.ts for scope and visibility rules. */
export * from "./compute";
export * from "./disk";
export * from "./network";
export { canManage, isForeignKeyViolation, offeringReferences, PUBLIC_SCOPE, type OfferingListInput, type ScopeInfo } from "./common";
