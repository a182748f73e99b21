/**
 * E-mail addresses as Firebreak accepts them in recipients and Reply-To. Deliberately loose (the receiving
 * server is the judge of addresses), but never a line break, a control character or a second address:
 * those would inject headers or recipients. Workflow-safe, so a message is refused when it is rendered for
 * approval, not after.
 */

/** One bare address: `local@domain`, no spaces, control characters, brackets, quotes or separators. */
export const EMAIL_ADDRESS = /^[^\s\p{Cc}<>@,;"()[\]\\]+@[^\s\p{Cc}<>@,;"()[\]\\]+$/u;

/** Why `text` is not one e-mail address, or undefined when it is one. */
export function emailAddressProblem(text: string): string | undefined {
  if (/[\r\n]/.test(text)) return 'it contains a line break';
  if (/\p{Cc}/u.test(text)) return 'it contains a control character';
  if (!EMAIL_ADDRESS.test(text)) return 'it is not one e-mail address';
  return undefined;
}
