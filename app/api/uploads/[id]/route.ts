import { handleUploadRequest } from "@/server/api/uploads";

const handler = async (req: Request, { params }: { params: Promise<{ id: string }> }) => handleUploadRequest(req, (await params).id);

export { handler as GET, handler as PUT };
