@main struct AgoraCommand { static func main() {} }
