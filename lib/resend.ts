import { Resend } from "resend";
import { env } from "@/lib/env";

/** The Resend client, or null without RESEND_API_KEY (emails then go to the dev outbox). */
export const resend: Resend | null = env.RESEND_API_KEY
  ? new Resend(env.RESEND_API_KEY, { baseUrl: env.RESEND_BASE_URL })
  : null;
