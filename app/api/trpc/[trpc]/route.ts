import { handleTrpcRequest } from "@/server/api/http";

const handler = (req: Request) => handleTrpcRequest(req);

export { handler as GET, handler as POST };
