/** The provisioning run's id, for the user to quote to support. */
export function SupportReference({ reference }: { reference?: string }) {
  if (!reference) return null;
  return (
    <p className="text-sm">
      Reference: <code className="font-mono break-all select-all">{reference}</code>
    </p>
  );
}
