import NextAuth from "next-auth";
import { authOptions } from "@/server/auth/options";

// next-auth 4 types its App Router handler as `any`; name the shape Next calls it with.
type RouteHandler = (req: Request, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

const handler = NextAuth(authOptions) as RouteHandler;
export { handler as GET, handler as POST };
