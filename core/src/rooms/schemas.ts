/** The field shapes every rooms call validates the same way (registrations, checks, platform bindings). */
import { z } from 'zod';

export const RoomName = z.string().min(1).max(1024);
export const RoomSource = z.object({
  ip: z.string().min(2).max(64),
  port: z.number().int().min(0).max(65535).optional(),
});
