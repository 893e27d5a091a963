/** The support address; the subject carries the run's reference, so support can open the run. */
export function SupportLink({ email, reference }: { email: string; reference?: string }) {
  const subject = reference
    ? `?subject=${encodeURIComponent(`Account setup (reference ${reference})`)}`
    : "";
  return (
    <a className="font-medium underline" href={`mailto:${email}${subject}`}>
      {email}
    </a>
  );
}
